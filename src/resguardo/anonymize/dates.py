"""Shift dates by a number of days while keeping exactly how they were written."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

__all__ = ["shift_dates"]

_MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
              "septiembre", "octubre", "noviembre", "diciembre")
_MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")
_MONTHS_EN_SHORT = tuple(m[:3] for m in _MONTHS_EN)
_ES = "|".join(_MONTHS_ES) + "|setiembre"
_EN = "|".join(_MONTHS_EN) + "|" + "|".join(_MONTHS_EN_SHORT)

_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})(?P<s>[-/])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?!\d)")
_NUMERIC = re.compile(
    r"(?<![\d/.-])(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})(?![\d/])"
)
_TEXT_ES = re.compile(
    rf"(?i)(?<!\w)(?P<d>\d{{1,2}})(?P<s1>\s+de\s+)(?P<m>{_ES})(?P<s2>\s+(?:de|del)\s+)(?P<y>\d{{4}})"
)
_TEXT_EN_MDY = re.compile(rf"(?i)(?<!\w)(?P<m>{_EN})\.?(?P<s1>\s+)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"
                          rf"(?P<s2>,?\s+)(?P<y>\d{{4}})")
_TEXT_EN_DMY = re.compile(rf"(?i)(?<!\w)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?P<s1>\s+)(?P<m>{_EN})"
                          rf"\.?(?P<s2>,?\s+)(?P<y>\d{{4}})")


def _pad(new: int, old: str) -> str:
    return f"{new:0{len(old)}d}" if old.startswith("0") or len(old) > 1 else str(new)


def _year(new: int, old: str) -> str:
    return f"{new % 100:02d}" if len(old) == 2 else f"{new:04d}"


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years: 00-29 read as 20xx, the rest as 19xx (birth dates are older).
        year += 2000 if year < 30 else 1900
    return year


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_index(word: str) -> int:
    w = word.lower().rstrip(".")
    if w == "setiembre":
        return 9
    for table in (_MONTHS_ES, _MONTHS_EN, _MONTHS_EN_SHORT):
        if w in table:
            return table.index(w) + 1
    raise ValueError(word)


def _month_word(index: int, like: str) -> str:
    w = like.lower().rstrip(".")
    table: tuple[str, ...]
    if w in _MONTHS_ES or w == "setiembre":
        table = _MONTHS_ES
    elif w in _MONTHS_EN_SHORT and w not in _MONTHS_EN:
        table = _MONTHS_EN_SHORT
    else:
        table = _MONTHS_EN
    return _same_case(table[index - 1], like)


def _shift_iso(m: re.Match[str], delta: timedelta) -> str | None:
    day = _safe(int(m["y"]), int(m["m"]), int(m["d"]))
    if day is None:
        return None
    new = day + delta
    return f"{new.year:04d}{m['s']}{_pad(new.month, m['m'])}{m['s']}{_pad(new.day, m['d'])}"


def _numeric(day_first: bool) -> Callable[[re.Match[str], timedelta], str | None]:
    def shift(m: re.Match[str], delta: timedelta) -> str | None:
        a, b, year = int(m["a"]), int(m["b"]), _full_year(m["y"])
        dmy = day_first if a <= 12 and b <= 12 else a > 12
        d, mo = (a, b) if dmy else (b, a)
        day = _safe(year, mo, d)
        if day is None:
            return None
        new = day + delta
        first, second = (new.day, new.month) if dmy else (new.month, new.day)
        return (f"{_pad(first, m['a'])}{m['s']}{_pad(second, m['b'])}{m['s']}"
                f"{_year(new.year, m['y'])}")
    return shift


def _textual(m: re.Match[str], delta: timedelta) -> str | None:
    day = _safe(int(m["y"]), _month_index(m["m"]), int(m["d"]))
    if day is None:
        return None
    new = day + delta
    parts = {"d": _pad(new.day, m["d"]), "m": _month_word(new.month, m["m"]),
             "y": f"{new.year:04d}", "s1": m["s1"], "s2": m["s2"]}
    # Rebuild in the original's order, keeping its separators.
    order = sorted(("d", "m", "y"), key=m.start)
    return parts[order[0]] + parts["s1"] + parts[order[1]] + parts["s2"] + parts[order[2]]


def shift_dates(text: str, days: int, *, day_first: bool = True) -> tuple[str, int]:
    """``text`` with every date it contains moved by ``days``; returns (text, dates shifted)."""
    delta = timedelta(days=days)
    rules: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], timedelta], str | None]], ...] = (
        (_TEXT_ES, _textual), (_TEXT_EN_MDY, _textual), (_TEXT_EN_DMY, _textual),
        (_ISO, _shift_iso), (_NUMERIC, _numeric(day_first)),
    )
    count = 0
    for pattern, rule in rules:
        out: list[str] = []
        last = 0
        for m in pattern.finditer(text):
            new = rule(m, delta)
            if new is None:
                continue
            out.append(text[last : m.start()])
            out.append(new)
            last = m.end()
            count += 1
        if out:
            out.append(text[last:])
            text = "".join(out)
    return text, count
