"""Phone numbers, found and validated by the phonenumbers library (Spain by default)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from resguardo.detect.types import Finding

__all__ = ["PhoneRecognizer"]

# A cheap cut before the (slow) library: a run of digits and phone punctuation.
_CANDIDATE = re.compile(r"(?=[\d+(])(?<![\w+/.-])(?:\+|00)?\(?\d[\d \-.()]{5,20}\d(?![\w/-])")
_DIGITS = re.compile(r"\d")


class PhoneRecognizer:
    """Valid phone numbers in national (default region) or international format."""

    name: str = "phone"
    types: tuple[str, ...] = ("PHONE",)
    max_length: int = 32

    def __init__(self, region: str = "ES") -> None:
        self.region = region

    def find(self, text: str) -> Iterator[Finding]:
        """Every valid phone number in ``text``."""
        for m in _CANDIDATE.finditer(text):
            candidate = m.group()
            digits = len(_DIGITS.findall(candidate))
            international = candidate.startswith(("+", "00"))
            if digits < (7 if international else 9) or digits > 30:
                continue
            # Numbers separated only by dots look like dates, versions or amounts.
            if "." in candidate and " " not in candidate and not international:
                continue
            score = 0.8 if international or digits == 9 else 0.7
            base = m.start()
            # The common case, one number per candidate, costs one parse; the matcher
            # (slower) only splits runs that hold several numbers or extra digits.
            if self._valid(candidate):
                yield Finding(base, m.end(), "PHONE", score, self.name)
                continue
            if digits < 16:
                continue  # too short to hold two numbers: the slow matcher cannot help
            for match in phonenumbers.PhoneNumberMatcher(
                candidate, self.region, leniency=phonenumbers.Leniency.VALID
            ):
                yield Finding(base + match.start, base + match.end, "PHONE", score, self.name)

    def _valid(self, candidate: str) -> bool:
        try:
            number = phonenumbers.parse(candidate, self.region)
        except phonenumbers.NumberParseException:
            return False
        return bool(phonenumbers.is_valid_number(number))
