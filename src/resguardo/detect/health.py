"""HEALTH: a GDPR Art. 9 special-category signal from a shipped es/en medical lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import fold, load_lines
from resguardo.detect.types import Finding

__all__ = ["HealthRecognizer"]

_WORD = re.compile(r"\w+(?:[-']\w+)*")


class HealthRecognizer:
    """Conditions, diagnoses, medications and procedures, whole words, any case or accents."""

    name: str = "health"
    types: tuple[str, ...] = ("HEALTH",)

    def __init__(self, lexicon: str = "health.txt") -> None:
        # first word -> phrases (as word tuples), longest first, so lookups are O(1) per word.
        self._index: dict[str, list[tuple[str, ...]]] = {}
        for term in load_lines(lexicon):
            words = tuple(_WORD.findall(fold(term)))
            if words:
                self._index.setdefault(words[0], []).append(words)
        for phrases in self._index.values():
            phrases.sort(key=len, reverse=True)
        self._first = frozenset(self._index)
        self.max_length = max(len(" ".join(p)) for ps in self._index.values() for p in ps) + 8

    def find(self, text: str) -> Iterator[Finding]:
        """Every lexicon term in ``text``."""
        folded = fold(text)
        # A set intersection rejects the common case (no term at all) in one C-level pass.
        if self._first.isdisjoint(_WORD.findall(folded)):
            return
        words = list(_WORD.finditer(folded))
        skip_until = -1
        for i, m in enumerate(words):
            if m.start() < skip_until:
                continue
            phrases = self._index.get(m.group())
            if not phrases:
                continue
            for phrase in phrases:
                n = len(phrase)
                if tuple(w.group() for w in words[i : i + n]) == phrase:
                    end = words[i + n - 1].end()
                    skip_until = end
                    yield Finding(m.start(), end, "HEALTH", 0.8, self.name)
                    break
