"""Resolving overlapping candidates into non-overlapping findings, never splicing neighbours."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable

from resguardo.detect.types import Finding

__all__ = ["resolve"]

# On a tie of score, the more specific, checksummed type wins.
_PRIORITY = {
    "SECRET": 9, "CREDIT_CARD": 8, "IBAN": 8, "ES_DNI": 8, "ES_NIE": 8, "ES_CIF": 8,
    "EMAIL": 8, "ES_NSS": 7, "US_SSN": 7, "BANK_ACCOUNT": 7, "IP_ADDRESS": 7, "PHONE": 6,
    "NATIONAL_ID": 6, "PASSPORT": 6, "DATE_OF_BIRTH": 6, "ADDRESS": 5, "PERSON": 5,
    "ID": 4, "DATE": 4, "AGE": 4, "LICENSE_PLATE": 4, "HEALTH": 3, "LOCATION": 3,
}


# Typed, validated values: a looser span (a name, a labelled field) never absorbs them.
HARD = frozenset({
    "EMAIL", "PHONE", "ES_DNI", "ES_NIE", "ES_CIF", "ES_NSS", "US_SSN", "IBAN",
    "BANK_ACCOUNT", "CREDIT_CARD", "IP_ADDRESS", "SECRET", "NATIONAL_ID", "PASSPORT",
})
# Spans built from capitalisation or a label: split around hard values instead of covering them.
_SOFT = frozenset({"PERSON", "LOCATION"})


def _split_soft(candidates: list[Finding]) -> list[Finding]:
    """Cut every soft span that overlaps a hard value into the pieces outside it.

    "Contacto: +34 941 755 561 / c@x.es" must stay a phone and an email, not one PERSON;
    a piece is kept only if it still holds a letter and no digit or "@" remains at its
    ends. O(n log n): each soft span looks up its hard neighbours by bisection.
    """
    hard = sorted((f.start, f.end) for f in candidates if f.type in HARD)
    if not hard:
        return candidates
    starts = [h[0] for h in hard]
    out: list[Finding] = []
    for f in candidates:
        if f.type not in _SOFT:
            out.append(f)
            continue
        i = max(0, bisect_left(starts, f.start) - 1)
        pieces: list[tuple[int, int]] = []
        cursor = f.start
        while i < len(hard) and hard[i][0] < f.end:
            h_start, h_end = hard[i]
            if h_end > cursor:
                pieces.append((cursor, min(h_start, f.end)))
                cursor = max(cursor, h_end)
            i += 1
        if cursor == f.start:
            out.append(f)  # no overlap: unchanged
            continue
        pieces.append((cursor, f.end))
        out.extend(Finding(a, b, f.type, f.score, f.source) for a, b in pieces if b - a >= 2)
    return out


def resolve(candidates: Iterable[Finding], text: str | None = None) -> list[Finding]:
    """Keep the best candidates that do not overlap, sorted by start.

    Best means higher score, then longer, then higher type priority. Candidates are
    never joined: two adjacent emails stay two findings, and a soft span (PERSON,
    LOCATION) is split around the hard values (email, phone, IDs…) it overlaps. With
    ``text``, the pieces are trimmed to their letters.
    """
    split = _split_soft(list(candidates))
    if text is not None:
        split = [g for f in split if (g := _trim(text, f)) is not None]
    ranked = sorted(
        split,
        key=lambda f: (-round(f.score, 2), -(f.end - f.start), -_PRIORITY.get(f.type, 5), f.start),
    )
    starts: list[int] = []
    kept: dict[int, Finding] = {}
    for f in ranked:
        if f.end <= f.start:
            continue
        i = bisect_left(starts, f.start)
        # Overlap only with the kept neighbour on either side (kept ones never overlap).
        if i < len(starts) and starts[i] < f.end:
            continue
        if i > 0 and kept[starts[i - 1]].end > f.start:
            continue
        insort(starts, f.start)
        kept[f.start] = f
    return [kept[s] for s in starts]


_EDGE = " \t\r\n,;:/|()-–—·.\"'"


def _trim(text: str, f: Finding) -> Finding | None:
    """A soft piece without edge punctuation; None when no letters are left in it."""
    if f.type not in _SOFT:
        return f
    start, end = f.start, f.end
    while start < end and (text[start] in _EDGE or text[start].isdigit()):
        start += 1
    while end > start and (text[end - 1] in _EDGE[:-3] or text[end - 1].isdigit()):
        end -= 1
    piece = text[start:end]
    if end - start < 2 or not any(c.isalpha() for c in piece) or "@" in piece:
        return None
    if start == f.start and end == f.end:
        return f
    return Finding(start, end, f.type, f.score, f.source)
