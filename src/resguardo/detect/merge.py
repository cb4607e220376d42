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


def resolve(candidates: Iterable[Finding]) -> list[Finding]:
    """Keep the best candidates that do not overlap, sorted by start.

    Best means higher score, then longer, then higher type priority. Candidates are
    never joined: two adjacent emails stay two findings.
    """
    ranked = sorted(
        candidates,
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
