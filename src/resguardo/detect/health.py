"""HEALTH: a GDPR Art. 9 special-category signal from a shipped es/en medical lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import Scan, fold, load_lines
from resguardo.detect.recognizer import ScanRecognizer
from resguardo.detect.types import Finding

__all__ = ["HealthRecognizer"]

_WORD = re.compile(r"\w+(?:[-']\w+)*")
_PIECE = re.compile(r"[^\W_]+")


class HealthRecognizer(ScanRecognizer):
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
        # First words by their leading alphanumeric piece ("anti-inflamatorio" under
        # "anti"), so the shared token list of the text (Scan.tokens) finds the hits.
        self._by_piece: dict[str, list[str]] = {}
        for first in self._index:
            piece = _PIECE.match(first)
            if piece is not None:
                self._by_piece.setdefault(piece.group(), []).append(first)
        self._pieces = frozenset(self._by_piece)
        self._longest = max(len(p) for ps in self._index.values() for p in ps)
        self.max_length = max(len(" ".join(p)) for ps in self._index.values() for p in ps) + 8

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every lexicon term in the scanned text."""
        folded = scan.folded
        # A set intersection rejects the common case (no term at all) in one C-level pass.
        pieces = self._pieces.intersection(scan.tokens)
        if not pieces:
            return
        hits = [first for piece in pieces for first in self._by_piece[piece]]
        # Only where a term can begin is the text tokenised further (a few places, not
        # every word of the text).
        starts: list[int] = []
        for word in hits:
            at = folded.find(word)
            while at != -1:
                m = _WORD.match(folded, at)
                if m is not None and m.end() == at + len(word) and not _inside_word(folded, at):
                    starts.append(at)
                at = folded.find(word, at + 1)
        skip_until = -1
        for start in sorted(starts):
            if start < skip_until:
                continue
            tokens: list[re.Match[str]] = []
            for token in _WORD.finditer(folded, start):
                tokens.append(token)
                if len(tokens) == self._longest:
                    break
            first = tokens[0].group()
            for phrase in self._index[first]:
                n = len(phrase)
                if tuple(t.group() for t in tokens[:n]) == phrase:
                    end = tokens[n - 1].end()
                    skip_until = end
                    yield Finding(start, end, "HEALTH", 0.8, self.name)
                    break


def _inside_word(folded: str, at: int) -> bool:
    """Whether offset ``at`` continues a word ("x" in "ax", or after "anti-")."""
    if at == 0:
        return False
    before = folded[at - 1]
    if before.isalnum() or before == "_":
        return True
    return before in "-'" and at >= 2 and (folded[at - 2].isalnum() or folded[at - 2] == "_")
