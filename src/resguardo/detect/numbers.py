"""Checksummed numbers: Spanish IDs, NSS, IBAN, bank accounts, cards, US SSN, EU national IDs.

Every checksum comes from python-stdnum, except the Spanish NSS which stdnum lacks.
Candidates are cut with bounded patterns first, so validators run on few short strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from importlib import import_module

from stdnum import iban, luhn
from stdnum.es import ccc, cif, dni, nie
from stdnum.iso7064 import mod_97_10
from stdnum.us import ssn

from resguardo.detect._text import Scan
from resguardo.detect.context import WINDOW, context_pattern
from resguardo.detect.recognizer import ScanRecognizer
from resguardo.detect.types import Finding

__all__ = ["CardRecognizer", "EuIdRecognizer", "IbanRecognizer", "SpanishIdRecognizer"]

_DIGIT = re.compile(r"\d")
_SEPS = str.maketrans("", "", " -./")


def _compact(value: str) -> str:
    return value.translate(_SEPS).upper()


_ES_ID = re.compile(
    r"(?=[0-9A-Zxyz])(?<![\w.-])"
    r"(?:[XYZxyz][ -]?\d{7}|\d{8}|\d{1,2}\.\d{3}\.\d{3}|[ABCDEFGHJNPQRSUVW][ -]?\d{7})"
    r"[ -]?[0-9A-Za-z](?![\w-])"
)
_ES_ID_OPENERS = "XYZxyzABCDEFGHJNPQRSUVW"  # the letters an ID may open with, before digits
_NSS = re.compile(r"\d(?<![\w/-]\d)\d[ /-]?\d{8}[ /-]?\d{2}(?![\w/-])")
_SSN = re.compile(r"\d(?<![\w-]\d)\d{2}([- ])\d{2}\1\d{4}(?![\w-])")


def nss_is_valid(value: str) -> bool:
    """Spanish social-security number: province + number, control = mod 97 (no stdnum module)."""
    digits = _compact(value)
    if len(digits) != 12 or not digits.isdigit():
        return False
    return int(digits[:10]) % 97 == int(digits[10:])


class SpanishIdRecognizer(ScanRecognizer):
    """DNI/NIF, NIE, CIF, NSS (Spain) and US SSN, each checked by its checksum."""

    name: str = "es_id"
    types: tuple[str, ...] = ("ES_DNI", "ES_NIE", "ES_CIF", "ES_NSS", "US_SSN")
    max_length: int = 16

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every valid ID in the scanned text."""
        text = scan.text
        if not scan.has_digit:
            return
        longest = scan.max_run
        # Each format needs a digit run of some length: 7 (DNI/NIE/CIF, or dotted), 8 (NSS)
        # and 4 (SSN); short texts without one skip the scan.
        # A letter and a separator may precede the digits ("X-1234567L"): lead 2.
        es_ids = scan.run_matches(_ES_ID, 2, _ES_ID_OPENERS) if longest >= 7 or "." in text else ()
        for m in es_ids:
            value = _compact(m.group())
            first = value[0]
            if first in "XYZ":
                if nie.is_valid(value):
                    yield Finding(m.start(), m.end(), "ES_NIE", 0.95, self.name)
            elif first.isdigit():
                if dni.is_valid(value):
                    yield Finding(m.start(), m.end(), "ES_DNI", 0.95, self.name)
            elif cif.is_valid(value):
                yield Finding(m.start(), m.end(), "ES_CIF", 0.9, self.name)
        for m in scan.run_matches(_NSS) if longest >= 8 else ():
            if nss_is_valid(m.group()):
                # 1 in 97 random 12-digit runs pass: context decides the rest.
                yield Finding(m.start(), m.end(), "ES_NSS", 0.6, self.name)
        for m in scan.run_matches(_SSN) if longest >= 4 else ():
            if ssn.is_valid(m.group()):
                yield Finding(m.start(), m.end(), "US_SSN", 0.6 if m.group(1) == "-" else 0.4,
                              self.name)


_IBAN = re.compile(r"[A-Z](?<![\w-][A-Z])[A-Z]\d{2}(?:[ -]?[A-Z0-9]){11,30}(?![\w])")
_CCC = re.compile(r"\d(?<![\w-]\d)\d{3}[ -]?\d{4}[ -]?\d{2}[ -]?\d{10}(?![\w-])")


class IbanRecognizer(ScanRecognizer):
    """IBANs (every country stdnum knows) and Spanish 20-digit CCC account numbers."""

    name: str = "iban"
    types: tuple[str, ...] = ("IBAN", "BANK_ACCOUNT")
    max_length: int = 34 + 9

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every valid IBAN or CCC in the scanned text."""
        text = scan.text
        if not scan.has_digit:
            return
        for m in _IBAN.finditer(text):
            end = _longest_valid(text, m.start(), m.end(), _iban_is_valid, 15)
            if end:
                yield Finding(m.start(), end, "IBAN", 0.95, self.name)
        for m in scan.run_matches(_CCC) if scan.max_run >= 10 else ():
            if ccc.is_valid(_compact(m.group())):
                yield Finding(m.start(), m.end(), "BANK_ACCOUNT", 0.85, self.name)


def _iban_is_valid(compact: str) -> bool:
    # stdnum's ISO 7064 check is cheap; the full country-format check runs only after it.
    rotated = compact[4:] + compact[:4]
    # The national part (e.g. Spain's CCC digits) is not re-checked: it would triple the cost
    # and the mod-97 check plus the country's length and layout already bound false hits.
    return (rotated.isalnum() and mod_97_10.is_valid(rotated)
            and iban.is_valid(compact, check_country=False))


def _longest_valid(
    text: str, start: int, end: int, valid: Callable[[str], bool], min_len: int
) -> int | None:
    """End of the longest prefix of ``text[start:end]`` that ``valid`` accepts.

    A greedy candidate may swallow a following word ("ES91 ... 1332 A"); trimming back
    to a token boundary finds the real value. At most a dozen tries, each O(length).
    """
    while end - start >= min_len:
        if valid(_compact(text[start:end])):
            return end
        cut = max(text.rfind(" ", start, end), text.rfind("-", start, end))
        if cut <= start:
            return None
        end = cut
    return None


_CARD = re.compile(r"\d(?<![\w-]\d)(?:[ -]?\d){11,18}(?![\w-])")
_MAESTRO = re.compile(r"^(?:50|5[6-9]|6)")  # Maestro numbers may be as short as 12 digits
# Issuer prefixes (IIN) of every major brand, Mastercard 2-series included; all of 35xx is
# accepted for JCB because generators and some issuers use the whole range.
_BRAND = re.compile(
    r"^(?:4|5[1-5]|2(?:2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720)|3[47]|3(?:0[0-5]|[68])|"
    r"6(?:011|5|4[4-9]|2|22)|35|2131|1800|50|5[6-8]|6[0-9]|1)"
)


class CardRecognizer(ScanRecognizer):
    """Payment card numbers: 12-19 digits, a known issuer prefix and a valid Luhn digit."""

    name: str = "card"
    types: tuple[str, ...] = ("CREDIT_CARD",)
    max_length: int = 19 + 18

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every valid card number in the scanned text."""
        if not scan.has_digit:
            return
        for m in scan.run_matches(_CARD):
            digits = _compact(m.group())
            if len(digits) < 13 and not _MAESTRO.match(digits):
                continue
            if _BRAND.match(digits) and luhn.is_valid(digits):
                yield Finding(m.start(), m.end(), "CREDIT_CARD", 0.9, self.name)


# EU national IDs via stdnum: (module, candidate pattern, needs context).
# Pure-digit formats pass a checksum by chance ~1 in 10, so they count only near an ID word.
_EU_IDS: tuple[tuple[str, str, bool], ...] = (
    ("it.codicefiscale", r"[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]", False),
    ("fi.hetu", r"\d{6}[-+A]\d{3}[0-9A-Y]", False),
    ("pt.cc", r"\d{8} ?\d ?[A-Z]{2}\d", False),
    ("se.personnummer", r"(?:\d{2})?\d{6}[-+]\d{4}", False),
    ("dk.cpr", r"\d{6}-\d{4}", False),
    ("ie.pps", r"\d{7}[A-W][A-IW]?", False),
    ("fr.nir", r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}", True),
    ("pl.pesel", r"\d{11}", True),
    ("be.nn", r"\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}", True),
    ("de.idnr", r"\d{2} ?\d{3} ?\d{3} ?\d{3}", True),
    ("nl.bsn", r"\d{4}\.?\d{2}\.?\d{3}", True),
    ("ro.cnp", r"\d{13}", True),
    ("bg.egn", r"\d{10}", True),
    ("hr.oib", r"\d{11}", True),
    ("ee.ik", r"\d{11}", True),
    ("lt.asmens", r"\d{11}", True),
    ("gr.amka", r"\d{11}", True),
)


_RUN_START = re.compile(r"\d(?<![\w.-]\d)\d")  # where a digit run begins: formats start there
_SIX_START = re.compile(r"\d(?<![\w.-]\d)\d{5}")
_ID_CONTEXT = context_pattern("NATIONAL_ID")
# Every word the context pattern looks for, as substrings (a necessary condition, C-fast).
_ID_CUES = (
    "id", "national", "personal", "nacional", "bsn", "pesel", "nir", "cnp", "egn", "oib",
    "amka", "codice fiscale", "personnummer", "cpr", "hetu", "steuer", "pps", "asmens",
    "isikukood", "documento",
)
_CF_TAIL = re.compile(r"\d\d[A-EHLMPR-T]\d\d[A-Z]\d{3}[A-Z](?![\w-])")  # codice fiscale


def _cf_tails(text: str, runs: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """``_CF_TAIL.finditer(text)``, tried only 2 before each run's end (where its letter is)."""
    last_end = 0
    for start, end in runs:
        if end - 2 < max(start, last_end):
            continue
        m = _CF_TAIL.match(text, end - 2)
        if m is not None:
            last_end = m.end()
            yield m


class EuIdRecognizer(ScanRecognizer):
    """Other EU national identity numbers that python-stdnum validates, as NATIONAL_ID."""

    name: str = "eu_id"
    types: tuple[str, ...] = ("NATIONAL_ID",)
    max_length: int = 24

    def __init__(self) -> None:
        # One anchored alternation per family (distinctive / needs context), tried only where
        # a digit run begins, so plain prose costs one cheap digit scan.
        self._families: list[tuple[re.Pattern[str], list[Callable[[str], bool]], float]] = []
        for contextual, score in ((False, 0.8), (True, 0.3)):
            formats = [(m, p) for m, p, c in _EU_IDS if c is contextual and m != "it.codicefiscale"]
            body = "|".join(f"(?:{p})" for _, p in formats)
            pattern = re.compile(rf"(?:{body})(?![\w-])")
            validators = [import_module(f"stdnum.{m}").is_valid for m, _ in formats]
            self._families.append((pattern, validators, score))
        self._codice = import_module("stdnum.it.codicefiscale").is_valid

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every EU national-ID-shaped value whose checksum holds."""
        text = scan.text
        if not scan.has_digit:
            return
        # Every format holds two adjacent digits: the shared run list decides it, and the
        # formats below are tried only where a run begins (never at every offset).
        runs = [(start, end) for start, end in scan.digit_runs if end - start >= 2]
        if not runs:
            return
        folded = scan.folded
        (plain, plain_valid, plain_score), (cued, cued_valid, cued_score) = self._families
        # The distinctive formats all open with six digits: shorter runs are skipped.
        for run in scan.run_matches(_SIX_START) if scan.max_run >= 6 else ():
            m = plain.match(text, run.start())
            # Same-shaped formats share a match: any validator that accepts it counts.
            if m is not None and any(valid(m.group()) for valid in plain_valid):
                yield Finding(m.start(), m.end(), "NATIONAL_ID", plain_score, self.name)
        for m in _cf_tails(text, runs):
            start = m.start() - 6
            prefix = text[max(0, start) : m.start()]
            if (start >= 0 and prefix.isalpha() and prefix.isupper()
                    and (start == 0 or not text[start - 1].isalnum())
                    and self._codice(text[start : m.end()])):
                yield Finding(start, m.end(), "NATIONAL_ID", 0.9, self.name)
        # Pure-digit formats count only after an ID word (the context step would drop them
        # otherwise): substring checks first, then the context pattern on each shape's
        # window, before any checksum runs.
        if not any(cue in folded for cue in _ID_CUES):
            return
        for run in scan.run_matches(_RUN_START):
            start = run.start()
            m = cued.match(text, start)
            if m is None or not _ID_CONTEXT.search(folded[max(0, start - WINDOW) : start]):
                continue
            if any(valid(m.group()) for valid in cued_valid):
                yield Finding(m.start(), m.end(), "NATIONAL_ID", cued_score, self.name)
