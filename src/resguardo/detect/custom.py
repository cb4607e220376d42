"""Recognizers declared in the policy: a regex or a deny list mapped to an entity type."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from resguardo.detect._text import fold
from resguardo.detect.types import Finding
from resguardo.errors import PolicyError

if TYPE_CHECKING:
    from resguardo.policy.schema import CustomRecognizer

__all__ = ["DenyListRecognizer", "RegexRecognizer", "from_policy"]

CUSTOM_MAX_LENGTH = 256  # a policy regex match longer than this is cut off (stream holdback)


class RegexRecognizer:
    """Matches of a policy regex (compiled once, when the analyzer is built)."""

    def __init__(self, rec_id: str, entity_type: str, pattern: str, score: float) -> None:
        self.name = f"custom:{rec_id}"
        self.types: tuple[str, ...] = (entity_type,)
        self.max_length = CUSTOM_MAX_LENGTH
        self._score = score
        try:
            self._pattern = re.compile(pattern)
        except re.error as exc:
            # The message names the recognizer, never the text it would scan.
            issue = f"recognizers.{rec_id}.pattern: invalid regex ({exc.msg})"
            raise PolicyError(issues=[issue]) from None
        self._type = entity_type

    def find(self, text: str) -> Iterator[Finding]:
        """Every match in ``text`` (bounded in length)."""
        for m in self._pattern.finditer(text):
            if 0 < m.end() - m.start() <= CUSTOM_MAX_LENGTH:
                yield Finding(m.start(), m.end(), self._type, self._score, self.name)


class DenyListRecognizer:
    """Whole-word occurrences of listed terms (case and accents ignored)."""

    def __init__(self, rec_id: str, entity_type: str, terms: Sequence[str], score: float) -> None:
        self.name = f"custom:{rec_id}"
        self.types: tuple[str, ...] = (entity_type,)
        self._terms = sorted({fold(t.strip()) for t in terms if t.strip()}, key=len, reverse=True)
        self.max_length = max((len(t) for t in self._terms), default=1)
        self._score = score
        self._type = entity_type
        # One alternation over escaped literals: the regex engine shares prefixes.
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in self._terms) + r")(?!\w)")
            if self._terms
            else None
        )

    def find(self, text: str) -> Iterator[Finding]:
        """Every listed term in ``text``."""
        if self._pattern is None:
            return
        for m in self._pattern.finditer(fold(text)):
            yield Finding(m.start(), m.end(), self._type, self._score, self.name)


def from_policy(
    recognizers: Sequence[CustomRecognizer],
) -> list[RegexRecognizer | DenyListRecognizer]:
    """Build recognizers from ``Policy.recognizers``."""
    out: list[RegexRecognizer | DenyListRecognizer] = []
    for rec in recognizers:
        if rec.pattern:
            out.append(RegexRecognizer(rec.id, rec.entity_type, rec.pattern, rec.score))
        else:
            out.append(DenyListRecognizer(rec.id, rec.entity_type, rec.deny_list, rec.score))
    return out
