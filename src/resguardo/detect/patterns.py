"""Pattern recognizers with no checksum: email, IP address, secrets, Spanish licence plates.

Every quantifier is bounded and every pattern starts behind a look-behind that refuses
to begin inside a run of the same characters, so matching stays linear in the input.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Iterator

from resguardo.detect._text import Scan
from resguardo.detect.recognizer import ScanRecognizer
from resguardo.detect.types import Finding

__all__ = ["EmailRecognizer", "IpRecognizer", "PlateRecognizer", "SecretRecognizer"]

_EMAIL = re.compile(
    r"[\w.%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){1,8}[A-Za-z]{2,24}(?![\w-])"
)
_LOCAL = re.compile(r"[\w.%+-]")


class EmailRecognizer(ScanRecognizer):
    """Email addresses (ASCII and internationalised local parts)."""

    name: str = "email"
    types: tuple[str, ...] = ("EMAIL",)
    max_length: int = 64 + 1 + 255

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every email address in the scanned text."""
        text = scan.text
        # Work outward from each "@": the regex never scans text that has none near.
        at = text.find("@")
        while at != -1:
            start = at
            while start > 0 and at - start < 64 and _LOCAL.match(text, start - 1):
                start -= 1
            m = _EMAIL.match(text, start)
            if m is not None and m.end() > at:
                # A leading dot is punctuation, not part of the address.
                while text[start] == ".":
                    start += 1
                yield Finding(start, m.end(), "EMAIL", 0.95, self.name)
                at = text.find("@", m.end())
            else:
                at = text.find("@", at + 1)


_DIGIT = re.compile(r"\d")
_IPV4 = re.compile(r"\d(?<![\d.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?!\.?\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)?(?![\w:])")


class IpRecognizer(ScanRecognizer):
    """IPv4 and IPv6 addresses, validated by :mod:`ipaddress`."""

    name: str = "ip"
    types: tuple[str, ...] = ("IP_ADDRESS",)
    max_length: int = 45

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every valid IP address in the scanned text."""
        text = scan.text
        if "." in text and scan.has_digit:
            for m in scan.run_matches(_IPV4):
                if _valid_ip(m.group()):
                    # Version-like strings ("1.0.0.1") are rarer than IPs but common in logs.
                    yield Finding(m.start(), m.end(), "IP_ADDRESS", 0.8, self.name)
        if "::" in text or text.count(":") >= 5:
            for m in _IPV6.finditer(text):
                value = m.group()
                if value.count(":") >= 2 and _valid_ip(value) and any(c.isalnum() for c in value):
                    yield Finding(m.start(), m.end(), "IP_ADDRESS", 0.85, self.name)


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# (literal cues in lower-cased text, pattern, score); group "v" when only part is secret.
_SECRET_PATTERNS: tuple[tuple[tuple[str, ...], str, float], ...] = (
    (("sk-",), r"(?<![\w-])sk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_-]{20,200}", 0.95),
    (("sk_", "pk_", "rk_"), r"(?<![\w-])(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,128}", 0.95),
    (("akia", "asia"), r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])", 0.95),
    (("gh",), r"(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,255}", 0.95),
    (("github_pat_",), r"(?<![\w-])github_pat_[A-Za-z0-9_]{40,255}", 0.95),
    (("xox",), r"(?<![\w-])xox[abprs]-[A-Za-z0-9-]{10,250}", 0.95),
    (("aiza",), r"(?<![\w-])AIza[0-9A-Za-z_-]{35}", 0.9),
    (("glpat-",), r"(?<![\w-])glpat-[A-Za-z0-9_-]{20,64}", 0.95),
    (
        ("eyj",),
        r"(?<![\w.-])eyJ[A-Za-z0-9_-]{5,2000}\.eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{0,1000}",
        0.95,
    ),
    (("bearer",), r"(?i:\bbearer)\s{1,4}(?P<v>[A-Za-z0-9._~+/=-]{16,1024})", 0.9),
    (
        ("pass", "pwd", "contrase", "clave", "pin"),
        r"(?i:\b(?:password|passwd|pwd|passphrase|contrase(?:ñ|n)a|clave(?: de acceso)?|"
        r"pin))\s{0,3}(?:[:=]|\bes\b|\bis\b)\s{0,3}[\"']?(?P<v>[^\s\"',;]{4,128})",
        0.9,
    ),
    (
        ("key", "secret", "token"),
        r"(?i:\b(?:api[_ -]?key|apikey|secret(?:[_ -]?key)?|access[_ -]?key(?:[_ -]?id)?|"
        r"aws_secret_access_key|auth[_ -]?token|access[_ -]?token|client[_ -]?secret|token))"
        r"[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?P<v>[A-Za-z0-9._~+/=-]{16,512})",
        0.85,
    ),
)
_SECRET_EACH = tuple((cues, re.compile(p), s) for cues, p, s in _SECRET_PATTERNS)
_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
PEM_MAX = 16384  # longest PEM private key we look for (an RSA-8192 key is ~6.5 KB)


class SecretRecognizer(ScanRecognizer):
    """API keys, tokens, passwords after their label, JWTs and PEM private keys."""

    name: str = "secret"
    types: tuple[str, ...] = ("SECRET",)
    max_length: int = 4096  # JWTs and bearer tokens; PEM keys are handled by :meth:`pending`

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every secret-looking value in the scanned text."""
        text = scan.text
        lowered = scan.folded
        for cues, pattern, score in _SECRET_EACH:
            # Substring checks are C-fast: each regex runs only where its cue occurs.
            if any(cue in lowered for cue in cues):
                for m in pattern.finditer(text):
                    start, end = m.span("v") if "v" in pattern.groupindex else m.span()
                    yield Finding(start, end, "SECRET", score, self.name)
        if "-----" in text:
            yield from self._pem(text)

    def _pem(self, text: str) -> Iterator[Finding]:
        # Pair each END with the latest BEGIN before it: one linear pass, no lazy scan.
        begins = [m.start() for m in _PEM_BEGIN.finditer(text)]
        bi = 0
        last_begin: int | None = None
        for end in _PEM_END.finditer(text):
            while bi < len(begins) and begins[bi] < end.start():
                last_begin = begins[bi]
                bi += 1
            if last_begin is not None and end.end() - last_begin <= PEM_MAX:
                yield Finding(last_begin, end.end(), "SECRET", 0.99, self.name)
                last_begin = None

    @staticmethod
    def pending(text: str) -> int | None:
        """Offset of a PEM key that began but has not ended yet (streaming must hold it)."""
        begins = list(_PEM_BEGIN.finditer(text))
        if not begins:
            return None
        last = begins[-1]
        if _PEM_END.search(text, last.end()):
            return None
        return last.start() if len(text) - last.start() <= PEM_MAX else None


_PLATE = re.compile(r"\d(?<![\w-]\d)\d{3}[ -]?[BCDFGHJKLMNPRSTVWXYZ]{3}(?![\w-])")
_OLD_PLATE = re.compile(r"[A-Z](?<![\w-][A-Z])[A-Z]?[ -]\d{4}[ -][A-Z]{1,2}(?![\w-])")


class PlateRecognizer(ScanRecognizer):
    """Spanish car licence plates (current 0000-BBB format and the old provincial one)."""

    name: str = "plate"
    types: tuple[str, ...] = ("LICENSE_PLATE",)
    max_length: int = 12

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every licence-plate-shaped value in the scanned text."""
        if scan.max_run < 4:
            return  # both plate formats hold four digits in a row
        for m in scan.run_matches(_PLATE):
            yield Finding(m.start(), m.end(), "LICENSE_PLATE", 0.7, self.name)
        # One or two letters and a separator precede the digits: lead 3.
        for m in scan.run_matches(_OLD_PLATE, 3, string.ascii_uppercase):
            # Old plates look like many codes: only context lifts them over the threshold.
            yield Finding(m.start(), m.end(), "LICENSE_PLATE", 0.35, self.name)
