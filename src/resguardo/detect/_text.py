"""Text helpers shared by recognizers: offset-preserving folding, word lists, one shared scan."""

from __future__ import annotations

import re
import unicodedata
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
_TOKEN = re.compile(r"[^\W_]+")


class Scan:
    """One text and the facts every recognizer needs, computed once per ``analyze`` call.

    ``folded`` has the same length as ``text`` (offsets carry over); ``has_digit`` lets
    every number recognizer skip prose in O(1); ``words`` is computed on first use.
    """

    __slots__ = ("_max_run", "_token_set", "_tokens", "_words", "folded", "has_digit", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.has_digit = _DIGIT.search(text) is not None
        self._words: list[re.Match[str]] | None = None
        self._max_run = -1
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
            self._max_run = max(map(len, _DIGITS.findall(self.text)), default=0)
        return self._max_run

    @property
    def words(self) -> list[re.Match[str]]:
        """Word matches over ``folded`` (letters, digits, inner hyphens and apostrophes)."""
        if self._words is None:
            self._words = list(_WORD.finditer(self.folded))
        return self._words
