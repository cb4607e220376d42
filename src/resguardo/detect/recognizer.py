"""The recognizer contract and the registry that runs every recognizer on a text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from resguardo.detect._text import Scan
from resguardo.detect.types import Finding

__all__ = ["Recognizer", "Registry", "Scan", "ScanRecognizer"]


@runtime_checkable
class Recognizer(Protocol):
    """Finds candidate entities of some types in a text; knows its longest possible match."""

    name: str
    types: tuple[str, ...]
    max_length: int

    def find(self, text: str) -> Iterable[Finding]:
        """Candidate findings in ``text`` (may overlap; the analyzer merges them)."""
        ...


class ScanRecognizer:
    """Base of the built-in recognizers: they work on a shared ``Scan`` of the text."""

    name: str
    types: tuple[str, ...]
    max_length: int

    def find(self, text: str) -> Iterator[Finding]:
        """Candidate findings in ``text`` alone (the registry calls ``find_in`` instead)."""
        return iter(self.find_in(Scan(text)))

    def find_in(self, scan: Scan) -> Iterable[Finding]:
        """Candidate findings in the scanned text."""
        raise NotImplementedError


@dataclass(frozen=True)
class Registry:
    """An immutable, ordered set of recognizers."""

    recognizers: tuple[Recognizer, ...]

    def __iter__(self) -> Iterator[Recognizer]:
        return iter(self.recognizers)

    def with_added(self, extra: Sequence[Recognizer]) -> Registry:
        """A new registry with ``extra`` recognizers appended."""
        return Registry(self.recognizers + tuple(extra))

    @property
    def types(self) -> frozenset[str]:
        """Every entity type some recognizer may emit."""
        return frozenset(t for r in self.recognizers for t in r.types)

    @property
    def max_length(self) -> int:
        """The longest value any recognizer can match."""
        return max((r.max_length for r in self.recognizers), default=0)

    def run(self, text: str | Scan) -> list[Finding]:
        """Every candidate from every recognizer.

        Built-in recognizers also offer ``find_in(scan)``: they then share one folded copy
        of the text and its cheap facts instead of each recomputing them.
        """
        scan = text if isinstance(text, Scan) else Scan(text)
        out: list[Finding] = []
        for recognizer in self.recognizers:
            find_in = getattr(recognizer, "find_in", None)
            out.extend(find_in(scan) if find_in is not None else recognizer.find(scan.text))
        return out
