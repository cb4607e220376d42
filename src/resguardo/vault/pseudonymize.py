"""Pseudonymize text with a token map and restore it, whole or as a stream cut anywhere."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import ClassVar, Protocol

from resguardo.detect.types import Finding
from resguardo.vault.tokens import TokenMap

__all__ = [
    "FakerSurrogates",
    "ReplyGuard",
    "StreamRestorer",
    "pseudonymize",
    "restore",
]


def pseudonymize(text: str, findings: Sequence[Finding], tmap: TokenMap) -> str:
    """Replace every finding (sorted, non-overlapping) by its token from ``tmap``."""
    if not findings:
        return text
    parts: list[str] = []
    last = 0
    for f in findings:
        if f.start < last:  # defensive: overlapping findings keep the first
            continue
        parts.append(text[last : f.start])
        parts.append(tmap.replacement_for(text[f.start : f.end], f.type))
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def restore(text: str, tmap: TokenMap, *, escape: bool = False) -> str:
    """Put back the values of every token ``tmap`` minted; other token-like text is untouched."""
    return tmap.restore(text, escape=escape)


class ReplyGuard(Protocol):
    """Scans reply text for personal data the caller did not send (mask it or refuse it)."""

    holdback: int

    def findings(self, text: str) -> list[Finding]:
        """New personal data in ``text`` (not tokens or surrogates of this scope)."""
        ...

    def apply(self, text: str, findings: Sequence[Finding]) -> str:
        """Mask the findings, or raise when the policy blocks such replies."""
        ...


class StreamRestorer:
    """Restores a text stream chunk by chunk, never releasing the first part of a token,
    surrogate or (with a guard) a value not yet decided on."""

    __slots__ = ("_buf", "_escape", "_guard", "_tmap", "released")

    def __init__(
        self, tmap: TokenMap, *, escape: bool = False, guard: ReplyGuard | None = None
    ) -> None:
        self._tmap = tmap
        self._escape = escape
        self._guard = guard
        self._buf = ""
        self.released = ""  # everything sent so far, restored

    def feed(self, chunk: str) -> str:
        """Add a chunk; return the restored text that is now safe to release (may be empty)."""
        if not chunk:
            return ""
        buf = self._buf + chunk
        window = self._tmap.max_replacement_length
        if self._guard is not None:
            window = max(window, self._guard.holdback)
        cut = len(buf) - window
        if cut <= 0:
            self._buf = buf
            return ""
        if window:
            # A replacement that straddles the cut would be released half-restored.
            lo = max(0, cut - window)
            for m in self._tmap.pattern().finditer(buf, lo, len(buf)):
                if m.start() < cut < m.end():
                    cut = m.start()
                    break
                if m.start() >= cut:
                    break
        # Never cut inside a word: restoration looks at the character before a token.
        while 0 < cut < len(buf) and _wordy(buf[cut - 1]) and _wordy(buf[cut]):
            cut -= 1
        findings: list[Finding] = []
        if self._guard is not None:
            found = self._guard.findings(buf)
            for f in found:
                if f.start < cut < f.end:
                    cut = f.start
            findings = [f for f in found if f.end <= cut]
        if cut <= 0:
            self._buf = buf
            return ""
        segment, self._buf = buf[:cut], buf[cut:]
        return self._emit(segment, findings)

    def flush(self) -> str:
        """Release whatever is held back (end of stream)."""
        segment, self._buf = self._buf, ""
        if not segment:
            return ""
        findings = self._guard.findings(segment) if self._guard is not None else []
        return self._emit(segment, findings)

    def _emit(self, segment: str, findings: Sequence[Finding]) -> str:
        if findings and self._guard is not None:
            segment = self._guard.apply(segment, findings)
        out = self._tmap.restore(segment, escape=self._escape)
        self.released += out
        return out


def _wordy(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class FakerSurrogates:
    """Realistic Spanish/English stand-ins from Faker, for workflows that ask for surrogates."""

    _PROVIDERS: ClassVar[dict[str, str]] = {
        "PERSON": "name",
        "EMAIL": "email",
        "PHONE": "phone_number",
        "ADDRESS": "street_address",
        "ES_DNI": "nif",
        "ES_NIE": "nie",
        "IBAN": "iban",
        "CREDIT_CARD": "credit_card_number",
        "IP_ADDRESS": "ipv4_private",
        "DATE_OF_BIRTH": "date_of_birth",
        "CITY": "city",
        "ORGANIZATION": "company",
    }

    def __init__(self, locale: str = "es_ES", *, seed: int | None = None) -> None:
        from faker import Faker  # imported on use: Faker is slow to load

        self._faker = Faker(locale)
        # Fresh randomness per process unless a test pins it: surrogates must not be guessable.
        self._faker.seed_instance(
            seed if seed is not None else random.SystemRandom().getrandbits(64)
        )

    def surrogate(self, entity_type: str, value: str) -> str | None:
        """A fake value of the same kind, or None when Faker has no generator for the type."""
        name = self._PROVIDERS.get(entity_type)
        if name is None:
            return None
        try:
            fake = getattr(self._faker, name)()
        except AttributeError:
            return None
        return str(fake)
