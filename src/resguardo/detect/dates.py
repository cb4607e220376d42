"""Dates (numeric and written out, es/en), dates of birth, and ages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import Scan
from resguardo.detect.recognizer import ScanRecognizer
from resguardo.detect.types import Finding

__all__ = ["AgeRecognizer", "DateRecognizer"]

_DIGIT = re.compile(r"\d")
_MONTHS_ES = (
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    r"noviembre|diciembre|ene|feb|mar|abr|may|jun|jul|ago|sept?|oct|nov|dic"
)
_MONTHS_EN = (
    r"january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
)
# Digit-first formats. The pattern opens with a plain digit and checks what precedes it
# afterwards: a leading look-behind would make the engine try every position of the text.
_DATE = re.compile(
    r"\d(?<![\w.,/-]\d)(?:"
    r"\d?[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{3}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    rf"|\d?(?:º|\s?(?:st|nd|rd|th))?\s(?:de\s)?(?i:{_MONTHS_ES}|{_MONTHS_EN})\.?"
    r"(?:,?\s(?:de\s|del\s|of\s)?\d{4})?"
    r")(?![\w/]|[.-]\d)"
)
# Month-first formats ("March 3, 1946", "marzo de 2015"): found from their cheap tail
# (a letter, a space, a digit), then matched in full at the month word.
_MONTH_CUE = re.compile(r"\s(?<=[A-Za-z.]\s)(?:de\s|del\s|of\s)?\d")
_MONTH_FIRST = re.compile(
    rf"(?i:{_MONTHS_ES}|{_MONTHS_EN})\.?\s(?:(?:de\s|del\s|of\s)?\d{{4}}|"
    r"\d{1,2}(?:st|nd|rd|th)?(?:,?\s\d{4})?)(?![\w/]|[.-]\d)"
)
# "sept?" in the patterns stands for "sep" and "sept".
_MONTH_WORDS = frozenset(
    w for m in f"{_MONTHS_ES}|{_MONTHS_EN}".split("|")
    for w in ((m[:-2], m[:-1]) if m.endswith("?") else (m,))
)
_SEP = re.compile(r"[/.-]")


# Words that, shortly before a date, make it a date of birth.
_BIRTH = re.compile(  # searched in folded (lower-case, unaccented) text
    r"nacimiento|nacid[oa]|\bnaci[o]?\b|f\.?\s?nac\b|fec\.? nac|born|birth|\bd\.?o\.?b\b|"
    r"cumpleanos|natalicio"
)


class DateRecognizer(ScanRecognizer):
    """Dates; a date shortly after a birth word is a DATE_OF_BIRTH."""

    name: str = "date"
    types: tuple[str, ...] = ("DATE", "DATE_OF_BIRTH")
    max_length: int = 40

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every plausible date in the scanned text."""
        text = scan.text
        if not scan.has_digit:
            return  # every date format we know has a digit
        for m in scan.run_matches(_DATE):
            if _plausible(m.group()):
                yield self._typed(scan.folded, m.start(), m.end())
        # Month-first dates need a month word: skip the scan when no token is one.
        months = not _MONTH_WORDS.isdisjoint(scan.token_set)
        for cue in _MONTH_CUE.finditer(text) if months else ():
            start = cue.start()
            while start > 0 and cue.start() - start < 11 and (text[start - 1].isalpha()
                                                              or text[start - 1] == "."):
                start -= 1
            if start > 0 and text[start - 1].isalnum():
                continue
            if scan.folded[start : cue.start()].rstrip(".") in _MONTH_WORDS:
                month = _MONTH_FIRST.match(text, start)
                if month is not None:
                    yield self._typed(scan.folded, month.start(), month.end())

    def _typed(self, folded: str, start: int, end: int) -> Finding:
        if _BIRTH.search(folded, max(0, start - 40), start):
            return Finding(start, end, "DATE_OF_BIRTH", 0.9, self.name)
        return Finding(start, end, "DATE", 0.6, self.name)


def _plausible(value: str) -> bool:
    """Day and month in range for numeric dates (dd/mm, mm/dd or ISO)."""
    parts = _SEP.split(value.split(" ")[0].split("T")[0])
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return True  # written-out month: the pattern already checked it
    a, b, c = (int(p) for p in parts)
    if len(parts[0]) == 4:
        return 1 <= b <= 12 and 1 <= c <= 31
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= b <= 31 and 1 <= a <= 12)


_AGE = re.compile(
    r"\d(?<![\w,.]\d)(?P<n>\d{0,2})\s?(?:años|año|meses|mes|a\.|years?(?:\s|-)old|-year-old|"
    r"y/?o|yrs?(?:\s|-)old)(?:\s+de\s+edad)?(?![\w])"
)
_AGE_LABEL = re.compile(
    r"(?<![\w,.])(?i:edad|aged?)(?:\s+de)?\s?:?\s{0,3}(?P<n2>\d{1,3})(?:\s?(?:años|years))?(?![\w])"
)
_AGE_WORDS = frozenset({"edad", "age", "aged"})  # the label pattern needs one as a word
_NOT_AGE = re.compile(
    r"(?i:hace|durante|desde|tras|después de|antes de|últimos|cada|hasta|por|más de|menos de|"
    r"a los|al cabo de|en los|unos|"
    r"for|ago|over|after|before|within|every|last|past|than|plazo|contrato|garantía|"
    r"warranty|term|de hace)\s*(?:unos\s|los\s|about\s|the\s)?$"
)
# What follows a duration: "4 años de evolución", "3 meses después", "2 years later".
_DURATION_AFTER = re.compile(
    r"\s{0,2}(?i:de\s+(?:evoluci|seguimiento|tratamiento|duraci|la\s|el\s|su\s|antig)|"
    r"despu[eé]s|antes|m[aá]s\s+tarde|atr[aá]s|later|ago|after|before|of\s+(?:follow|treat))"
)
_AGE_SUBJECT = re.compile(
    r"(?i:paciente|varón|var[óo]n|mujer|hombre|niñ[oa]|chic[oa]|señora?|lactante|anciana?|"
    r"joven|bebé|edad|male|female|boy|girl|man|woman|patient|child|aged?|tiene|cumple|"
    r"has|is|turned)(?:\s+(?:de|of))?\s*[:,]?\s*$"
)


class AgeRecognizer(ScanRecognizer):
    """A person's age ("70 años", "aged 34", "12-year-old"), not a duration ("hace 3 años")."""

    name: str = "age"
    types: tuple[str, ...] = ("AGE",)
    max_length: int = 30

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every age in the scanned text."""
        text = scan.text
        if not scan.has_digit:
            return
        labelled = not _AGE_WORDS.isdisjoint(scan.token_set)
        matches = list(scan.run_matches(_AGE))
        if labelled:
            matches += _AGE_LABEL.finditer(text)
        for m in matches:
            n = m.group("n2") if "n2" in m.re.groupindex else m.group()[0] + m.group("n")
            number = int(n)
            if number > 125:
                continue
            before = text[max(0, m.start() - 24) : m.start()]
            if "n2" in m.re.groupindex or text.startswith(" de edad", m.end() - 8):
                score = 0.9
            elif _NOT_AGE.search(before) or _DURATION_AFTER.match(text, m.end()):
                score = 0.2
            elif _AGE_SUBJECT.search(before) or "old" in m.group():
                score = 0.85
            elif "mes" in m.group():
                score = 0.3  # "3 meses" is a duration unless a subject says it is an age
            else:
                score = 0.55
            yield Finding(m.start(), m.end(), "AGE", score, self.name)
