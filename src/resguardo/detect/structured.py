"""Structured input: JSON values scanned with their field names as hints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from resguardo.detect.labels import hint_type
from resguardo.detect.types import Finding, KnownValue

if TYPE_CHECKING:
    from resguardo.detect.analyzer import Analyzer

__all__ = ["JsonPath", "apply_hint", "walk_json"]

JsonPath = tuple[str | int, ...]

# Longest value a field name alone may classify; beyond it the field holds free text.
_HINT_MAX = {"HEALTH": 2000, "SECRET": 8192, "ADDRESS": 300}
_HINT_DEFAULT_MAX = 120


def apply_hint(text: str, hint: str | None, findings: list[Finding]) -> list[Finding]:
    """Add a whole-value finding when the field name says what the value is."""
    kind = hint_type(hint)
    if kind is None:
        return findings
    if kind == "DATE_OF_BIRTH":
        findings = [
            replace(f, type=kind, score=max(f.score, 0.9)) if f.type == "DATE" else f
            for f in findings
        ]
    if any(f.type == kind for f in findings):
        return findings
    stripped = text.strip()
    if not stripped or len(stripped) > _HINT_MAX.get(kind, _HINT_DEFAULT_MAX):
        return findings
    if not any(c.isalnum() for c in stripped):
        return findings
    start = text.index(stripped)
    return [*findings, Finding(start, start + len(stripped), kind, 0.8, "hint")]


def walk_json(
    analyzer: Analyzer, obj: Any, known: Sequence[KnownValue]
) -> Iterator[tuple[JsonPath, Finding]]:
    """Findings in every string (and hinted number) of ``obj``, with its JSON path.

    Numbers are scanned as ``str(value)`` only when their key names a personal field.
    """
    stack: list[tuple[JsonPath, str | None, Any]] = [((), None, obj)]
    while stack:  # iterative: deeply nested input must not exhaust the call stack
        path, key, value = stack.pop()
        if isinstance(value, str):
            for f in analyzer.analyze(value, known=known, hint=key):
                yield path, f
        elif isinstance(value, dict):
            for k, v in reversed(list(value.items())):
                stack.append(((*path, str(k)), str(k), v))
        elif isinstance(value, list | tuple):
            for i in range(len(value) - 1, -1, -1):
                stack.append(((*path, i), key, value[i]))
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and hint_type(key) is not None
        ):
            for f in analyzer.analyze(str(value), known=known, hint=key):
                yield path, f
