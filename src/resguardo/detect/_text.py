"""Text helpers shared by recognizers: offset-preserving folding and word lists."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

__all__ = ["fold", "is_sentence_start", "load_lines", "load_set"]


@cache
def _fold_table() -> dict[int, str]:
    """Map each Latin character to its lower-case base letter, one char to one char."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x250):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0].lower()
        # Only one-to-one mappings keep offsets in the folded text equal to the original's.
        if len(base) == 1 and base != ch:
            table[cp] = base
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    return table


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Latin accents without changing its length."""
    return text.translate(_fold_table())


@cache
def load_lines(name: str) -> tuple[str, ...]:
    """The non-comment lines of a shipped data file (``detect/data/<name>``)."""
    raw = resources.files("resguardo.detect").joinpath("data", name).read_text("utf-8")
    return tuple(
        line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def load_set(name: str) -> frozenset[str]:
    """The folded entries of a shipped data file, as a set for O(1) lookups."""
    return frozenset(fold(line) for line in load_lines(name))



def is_sentence_start(text: str, pos: int) -> bool:
    """Whether ``pos`` opens a sentence, line or field (so capitalisation says nothing)."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\"'¡¿(«":
        i -= 1
    return i < 0 or text[i] in ".!?\n\r:;…"
