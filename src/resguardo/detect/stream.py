"""Streaming scan: release text only up to where no entity can still be forming."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from resguardo.detect.patterns import SecretRecognizer
from resguardo.detect.types import Finding, KnownValue

if TYPE_CHECKING:
    from resguardo.detect.analyzer import Analyzer

__all__ = ["StreamScanner"]

CONTEXT = 64  # released characters kept as left context (context words look back 48)
STEP = 64  # analyze again only once this much new text is waiting (token-sized chunks)


class StreamScanner:
    """Feed chunks, get back the text that is safe to release and the findings in it.

    Held back: the last ``spaced_holdback`` characters (the longest entity that may
    contain spaces, e.g. an address), and the trailing run of non-space characters up
    to ``max_entity_length`` (tokens, keys, emails), and an unterminated PEM key. So a
    value split across chunks is always seen whole before any of it is released.
    Memory stays bounded by the chunk size plus the holdback.
    """

    def __init__(
        self, analyzer: Analyzer, known: Sequence[KnownValue] = (), *, step: int = STEP
    ) -> None:
        self._analyzer = analyzer
        self._known = tuple(known)
        self._spaced = analyzer.spaced_holdback
        self._step = max(1, step)
        self._max = analyzer.max_entity_length
        self._context = ""
        self._buffer = ""
        self._released = 0

    def feed(self, chunk: str) -> tuple[str, list[Finding]]:
        """Add ``chunk``; return releasable text and its findings (absolute offsets)."""
        self._buffer += chunk
        # Re-analysing the held-back tail for every 3-character token would cost O(holdback)
        # each time: wait until a step's worth of text can be released.
        if len(self._buffer) < self._spaced + self._step:
            return "", []
        return self._release(final=False)

    def flush(self) -> tuple[str, list[Finding]]:
        """Release everything left at the end of the stream."""
        if not self._buffer:
            return "", []
        return self._release(final=True)

    def _safe_cut(self, findings: list[Finding]) -> int:
        buffer = self._buffer
        cut = len(buffer) - self._spaced
        # The trailing run of non-space characters may be a token still arriving.
        run_start = len(buffer)
        floor = max(0, len(buffer) - self._max)
        while run_start > floor and not buffer[run_start - 1].isspace():
            run_start -= 1
        cut = min(cut, run_start)
        pending = SecretRecognizer.pending(buffer)
        if pending is not None:
            cut = min(cut, pending)
        for f in findings:  # sorted and disjoint: at most one straddles the cut
            if f.start < cut < f.end:
                cut = f.start
                break
        return cut

    def _release(self, *, final: bool) -> tuple[str, list[Finding]]:
        shift = len(self._context)
        window = self._context + self._buffer
        found = [
            replace(f, start=f.start - shift, end=f.end - shift)
            for f in self._analyzer.analyze(window, known=self._known)
            if f.start >= shift
        ]
        cut = len(self._buffer) if final else self._safe_cut(found)
        if cut <= 0:
            return "", []
        text = self._buffer[:cut]
        base = self._released
        out = [replace(f, start=f.start + base, end=f.end + base) for f in found if f.end <= cut]
        self._context = (self._context + text)[-CONTEXT:]
        self._buffer = self._buffer[cut:]
        self._released += cut
        return text, out
