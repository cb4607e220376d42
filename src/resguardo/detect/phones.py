"""Phone numbers, found and validated by the phonenumbers library (Spain by default)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from resguardo.detect._text import Scan
from resguardo.detect.recognizer import ScanRecognizer
from resguardo.detect.types import Finding

__all__ = ["PhoneRecognizer"]

# A cheap cut before the (slow) library: a run of digits and phone punctuation.
_CANDIDATE = re.compile(r"(?=[\d+(])(?<![\w+/.-])(?:\+|00)?\(?\d[\d \-.()]{5,20}\d(?![\w/-])")
_NON_DIGIT = re.compile(r"\D")
_GROUP = re.compile(r"\d+")
# A US Social Security number's 3-2-4 grouping: no phone plan writes numbers that way.
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
# North American national format, "(512) 946-8344" or "512-946-8344": tried as a US number.
_NANP_SHAPE = re.compile(r"\(\d{3}\)[ ]?\d{3}[ .-]\d{4}|\d{3}([.-])\d{3}\1\d{4}")
_ES_FIRST = frozenset("6789")  # every Spanish national number starts with one of these


def _spanish_national(digits: str, international: bool) -> str | None:
    """The nine national digits of a Spanish number written "612…", "+34 612…" or "0034 612…"."""
    if not international:
        return digits if len(digits) == 9 else None
    if len(digits) == 11 and digits.startswith("34"):
        return digits[2:]
    if len(digits) == 13 and digits.startswith("0034"):
        return digits[4:]
    return None


class PhoneRecognizer(ScanRecognizer):
    """Valid phone numbers in national (default region) or international format."""

    name: str = "phone"
    types: tuple[str, ...] = ("PHONE",)
    max_length: int = 32

    def __init__(self, region: str = "ES") -> None:
        self.region = region

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every valid phone number in the scanned text."""
        if not scan.has_digit:
            return
        spain = self.region == "ES"
        # "+(" may precede the first digit: lead 2.
        for m in scan.run_matches(_CANDIDATE, 2, "+("):
            candidate = m.group()
            digits = _NON_DIGIT.sub("", candidate)
            n = len(digits)
            international = candidate.startswith(("+", "00"))
            if n < (7 if international else 9) or n > 30:
                continue
            # Numbers separated only by dots look like dates, versions or amounts.
            if "." in candidate and " " not in candidate and not international:
                continue
            if not international and _SSN_SHAPE.fullmatch(candidate):
                continue  # the ID recognizer types it (US_SSN) when its checksum holds
            score = 0.8 if international or n == 9 else 0.7
            base = m.start()
            if not international and n == 10 and _NANP_SHAPE.fullmatch(candidate):
                if self._valid(candidate, "US"):
                    yield Finding(base, m.end(), "PHONE", 0.7, self.name)
                continue
            # No Spanish number starts with 0: a UK national number ("0161 126 4969").
            uk = not international and digits[0] == "0" and 10 <= n <= 11
            if uk and self._valid(candidate, "GB"):
                yield Finding(base, m.end(), "PHONE", 0.7, self.name)
                continue
            if spain and not international and not self._maybe_spanish(digits):
                if n >= 16:
                    yield from self._split_national(candidate, base, score)
                continue
            national = _spanish_national(digits, international) if spain else None
            if national is not None:
                # A Spanish number needs no parsing: its digits after "34" are the national
                # number (no trunk prefix), so the library validates it directly (~3x faster).
                if phonenumbers.is_valid_number(
                    phonenumbers.PhoneNumber(country_code=34, national_number=int(national))
                ):
                    yield Finding(base, m.end(), "PHONE", score, self.name)
                continue
            # The common case, one number per candidate, costs one parse; the matcher
            # (slower) only splits runs that hold several numbers or extra digits.
            if self._valid(candidate, self.region):
                yield Finding(base, m.end(), "PHONE", score, self.name)
                continue
            if n < 16:
                continue  # too short to hold two numbers: the slow matcher cannot help
            for match in phonenumbers.PhoneNumberMatcher(
                candidate, self.region, leniency=phonenumbers.Leniency.VALID
            ):
                yield Finding(base + match.start, base + match.end, "PHONE", score, self.name)

    @staticmethod
    def _maybe_spanish(digits: str) -> bool:
        """Whether a national-format digit string can be a valid Spanish number at all.

        Spanish numbers have nine digits and begin with 6-9 (no trunk prefix); "34"
        before them is the country code written without "+". Everything else would
        cost a library parse (~30 us) just to be rejected.
        """
        n = len(digits)
        if n == 9:
            return digits[0] in _ES_FIRST
        return n == 11 and digits.startswith("34") and digits[2] in _ES_FIRST

    def _split_national(self, candidate: str, base: int, score: float) -> Iterator[Finding]:
        """Nine-digit Spanish numbers inside a longer run ("612 345 678 699 111 222")."""
        groups = list(_GROUP.finditer(candidate))
        i = 0
        while i < len(groups):
            j, count = i, 0
            while j < len(groups) and count < 9:
                count += len(groups[j].group())
                j += 1
            start, end = groups[i].start(), groups[j - 1].end()
            if count == 9 and self._valid(candidate[start:end], self.region):
                yield Finding(base + start, base + end, "PHONE", score, self.name)
                i = j
            else:
                i += 1

    @staticmethod
    def _valid(candidate: str, region: str) -> bool:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            return False
        return bool(phonenumbers.is_valid_number(number))
