"""Text helpers shared by recognizers: offset-preserving folding, word lists, one shared scan."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from importlib import resources

__all__ = ["Scan", "fold", "is_sentence_start", "load_lines", "load_set"]


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


@cache
def _byte_table() -> bytes:
    """The fold table for cp1252 bytes (Latin-1 plus curly quotes, dashes, euro sign)."""
    table = bytearray(range(256))
    fold_table = _fold_table()
    for b in range(256):
        try:
            ch = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # the five undefined bytes never appear in encoded text
        table[b] = ch.translate(fold_table).encode("cp1252")[0]
    return bytes(table)


@cache
def _token_bytes() -> bytes:
    """cp1252 bytes with every non-alphanumeric character mapped to a space."""
    table = bytearray(range(256))
    for b in range(256):
        try:
            ch = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            table[b] = 32
            continue
        if not ch.isalnum():
            table[b] = 32
    return bytes(table)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Latin accents without changing its length."""
    if text.isascii():
        return text.lower()  # same result, several times faster than translate()
    try:
        # Most es/en text fits one cp1252 byte per character: a byte-table translate is
        # C-fast, where str.translate does a dict lookup per character (~20x slower).
        raw = text.encode("cp1252")
    except UnicodeEncodeError:
        return text.translate(_fold_table())
    return raw.translate(_byte_table()).decode("cp1252")


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


_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+(?:[-']\w+)*")
_DIGITS = re.compile(r"[0-9]+")
_DIGIT_RUN = re.compile(r"\d+")
_TOKEN = re.compile(r"[^\W_]+")


def _has_digit(text: str) -> bool:
    """Whether ``text`` holds a ``\\d`` digit: ten C-level substring checks, rarely a regex."""
    if any(d in text for d in "0123456789"):
        return True
    # cp1252 has no digit but 0-9 (checked when its table is built): no regex scan needed.
    return not text.isascii() and _latin(text) is None and _DIGIT.search(text) is not None


def _latin(text: str) -> bytes | None:
    """``text`` in cp1252 (one byte per character, offsets kept), or None if it does not fit."""
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:
        return None


@cache
def _digit_bytes() -> bytes:
    """cp1252 bytes with every ``\\d`` character mapped to "0" and everything else to " "."""
    table = bytearray(b" " * 256)
    for b in range(256):
        try:
            ch = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        if _DIGIT.fullmatch(ch):
            table[b] = 0x30
    return bytes(table)


def _byte_runs(marks: bytes) -> list[tuple[int, int]]:
    """(start, end) of every run of b"0" in ``marks``: memchr-fast finds, one per run edge."""
    runs: list[tuple[int, int]] = []
    at = marks.find(0x30)
    while at != -1:
        end = marks.find(0x20, at)
        if end == -1:
            end = len(marks)
        runs.append((at, end))
        at = marks.find(0x30, end)
    return runs


class Scan:
    """One text and the facts every recognizer needs, computed once per ``analyze`` call.

    ``folded`` has the same length as ``text`` (offsets carry over); ``has_digit`` lets
    every number recognizer skip prose in O(1); ``words`` is computed on first use.
    """

    __slots__ = ("_max_run", "_runs", "_token_set", "_tokens", "_words", "folded", "has_digit",
                 "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.has_digit = _has_digit(text)
        self._words: list[re.Match[str]] | None = None
        self._max_run = -1
        self._runs: list[tuple[int, int]] | None = None
        self._tokens: list[str] | None = None
        self._token_set: frozenset[str] | None = None

    @property
    def token_set(self) -> frozenset[str]:
        """The distinct tokens: whether a recognizer's key words occur at all, in O(1)."""
        if self._token_set is None:
            self._token_set = frozenset(self.tokens)
        return self._token_set

    @property
    def tokens(self) -> list[str]:
        """The alphanumeric runs of ``folded`` ("castilla-la" gives two), found in one pass."""
        if self._tokens is None:
            try:
                raw = self.folded.encode("cp1252")
            except UnicodeEncodeError:
                self._tokens = _TOKEN.findall(self.folded)
            else:
                # Non-alphanumeric bytes to spaces, then str.split: same tokens, no regex.
                self._tokens = raw.translate(_token_bytes()).decode("cp1252").split()
        return self._tokens

    @property
    def max_run(self) -> int:
        """Length of the longest run of ASCII digits (0 when there is none).

        Most ID formats need a run of 6-10 digits: a short text without one skips them.
        """
        if self._max_run < 0:
            if not self.has_digit:
                self._max_run = 0
            elif _latin(self.text) is not None:
                # There \d is exactly [0-9]: the shared runs give the answer.
                self._max_run = max((e - s for s, e in self.digit_runs), default=0)
            else:
                self._max_run = max(map(len, _DIGITS.findall(self.text)), default=0)
        return self._max_run

    @property
    def digit_runs(self) -> list[tuple[int, int]]:
        """(start, end) of every maximal run of ``\\d`` digits, in order.

        Number formats begin where a run begins: recognizers try their pattern at these
        few offsets (``pattern.match(text, start)``) instead of each scanning every position.
        """
        if self._runs is None:
            raw = _latin(self.text) if self.has_digit else b""
            if raw is None:
                self._runs = [m.span() for m in _DIGIT_RUN.finditer(self.text)]
            else:
                self._runs = _byte_runs(raw.translate(_digit_bytes()))
        return self._runs

    def run_matches(
        self, pattern: re.Pattern[str], lead: int = 0, openers: str = ""
    ) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text)`` for a pattern whose matches begin near a digit run.

        Exactly the same matches (left to right, non-overlapping) when every match begins
        at a run's start or, opening with one of ``openers``, at most ``lead`` characters
        before it ("+34 6…" has lead 1, "X-1234567L" lead 2), and the pattern refuses to
        begin inside a run, e.g. ``\\d(?<![\\w-]\\d)``; tried only there, so prose costs
        nothing.
        """
        text = self.text
        runs = self.digit_runs
        if len(runs) * 24 > len(text):
            # Digit-dense text (tables, logs): one C-level scan beats a Python-level try per
            # run, and finds the very same matches.
            yield from pattern.finditer(text)
            return
        last_end = 0
        for start, _ in runs:
            if start < last_end:
                continue
            m = None
            # Earlier offsets first (finditer's order), each only where an opener stands.
            for at in range(max(start - lead, last_end), start):
                if text[at] in openers:
                    m = pattern.match(text, at)
                    if m is not None:
                        break
            if m is None:
                m = pattern.match(text, start)
            if m is not None:
                last_end = m.end()
                yield m

    @property
    def words(self) -> list[re.Match[str]]:
        """Word matches over ``folded`` (letters, digits, inner hyphens and apostrophes)."""
        if self._words is None:
            self._words = list(_WORD.finditer(self.folded))
        return self._words
