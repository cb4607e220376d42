"""Value types shared by every detector and by their callers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Detector", "Finding", "KnownValue"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity: ``text[start:end]`` is a value of ``type``."""

    start: int
    end: int
    type: str  # entity type, e.g. "PERSON", "EMAIL", "ES_DNI"
    score: float
    source: str = "rule"  # which recognizer family found it (never the value)

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class KnownValue:
    """A value the caller tells us about for this request (e.g. the CRM record's name)."""

    value: str
    type: str


class Detector(Protocol):
    """What the gateway, vault, log scrubber and scanner call."""

    def analyze(
        self,
        text: str,
        *,
        known: Sequence[KnownValue] = (),
        hint: str | None = None,
    ) -> list[Finding]:
        """Findings in ``text``, sorted by start, never overlapping.

        ``hint`` is a field name (``email``, ``telefono``) when the text is a JSON value.
        """
        ...


@dataclass(frozen=True)
class EntityCategories:
    """Maps entity types to policy data categories (filled from the policy)."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    default: str = "personal"

    def category(self, entity_type: str) -> str:
        return self.mapping.get(entity_type, self.default)
