"""Values the caller already knows for this request (a CRM record): found exactly and loosely."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from resguardo.detect._text import fold, load_set
from resguardo.detect.types import Finding, KnownValue

__all__ = ["find_known"]

_WORD = re.compile(r"\w+(?:[-']\w+)*")
_NON_DIGIT = re.compile(r"\D")
_NAME_TYPES = frozenset({"PERSON", "NAME"})
_DIGIT_TYPES = frozenset({"PHONE", "ES_DNI", "ES_NIE", "ES_NSS", "ID", "IBAN", "CREDIT_CARD",
                          "BANK_ACCOUNT", "US_SSN", "PASSPORT", "NATIONAL_ID", "ES_CIF"})


def _variants(known: KnownValue) -> list[tuple[str, float]]:
    """Folded strings to look for, each with its score."""
    value = fold(known.value.strip())
    if not value:
        return []
    out = [(value, 1.0)]
    if known.type.upper() in _NAME_TYPES:
        common = load_set("common_words.txt")
        # A surname or given name alone still points at the person ("Sra. Pérez").
        for word in _WORD.findall(value):
            if len(word) >= 3 and word not in common:
                out.append((word, 0.9))
    return out


def _digit_pattern(value: str) -> re.Pattern[str] | None:
    digits = _NON_DIGIT.sub("", value)
    if len(digits) < 6:
        return None
    # The same digits with any separators between them ("600 12 34 56", "+34 600123456").
    body = r"[\s.()/-]{0,2}".join(digits[-9:] if len(digits) > 9 else digits)
    return re.compile(rf"(?<!\d){body}(?!\d)")


def find_known(
    text: str, known: Sequence[KnownValue], *, folded: str | None = None
) -> Iterator[Finding]:
    """Findings for every occurrence of a known value, ignoring case and accents."""
    if not known or not text:
        return
    if folded is None:
        folded = fold(text)
    for item in known:
        entity = "PERSON" if item.type.upper() in _NAME_TYPES else item.type.upper()
        for needle, score in _variants(item):
            yield from _occurrences(folded, needle, entity, score)
        if entity in _DIGIT_TYPES:
            pattern = _digit_pattern(item.value)
            if pattern is not None:
                for m in pattern.finditer(text):
                    start = m.start()
                    # Keep a leading "+34"/"0034" with the number it prefixes.
                    prefix = re.search(r"(?:\+|00)\d{1,3}[\s.-]?$", text[max(0, start - 6) : start])
                    if prefix:
                        start -= len(prefix.group())
                    yield Finding(start, m.end(), entity, 0.99, "known")


def _occurrences(folded: str, needle: str, entity: str, score: float) -> Iterator[Finding]:
    start = folded.find(needle)
    while start != -1:
        end = start + len(needle)
        # Whole words only: "ana" must not match inside "banana".
        if (start == 0 or not folded[start - 1].isalnum()) and (
            end == len(folded) or not folded[end].isalnum()
        ):
            yield Finding(start, end, entity, score, "known")
        start = folded.find(needle, start + 1)
