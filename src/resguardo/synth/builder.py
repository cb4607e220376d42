"""Builds a document from template parts, recording each labelled value's span as it goes.

Labels are never found afterwards by searching the text: the offset is known at the
moment the value is appended, so ``text[start:end]`` is the inserted value by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from resguardo.synth.model import Label

__all__ = ["DocBuilder", "V"]

_FORMATTER = Formatter()


@dataclass(frozen=True, slots=True)
class V:
    """A value to insert with its entity type (``None`` for a distractor or plain filler)."""

    text: str
    type: str | None = None


Part = str | V


class DocBuilder:
    """Accumulates text and labels; templates use ``{name}`` placeholders."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._labels: list[Label] = []

    def add(self, part: Part) -> DocBuilder:
        """Append plain text or a value (labelled when it has a type)."""
        if isinstance(part, V):
            if part.type is not None and part.text:
                self._labels.append(Label(self._length, self._length + len(part.text), part.type))
            text = part.text
        else:
            text = part
        self._parts.append(text)
        self._length += len(text)
        return self

    def fmt(self, template: str, **values: Part) -> DocBuilder:
        """Append ``template`` with each ``{name}`` replaced by ``values[name]``."""
        for literal, field, spec, conv in _FORMATTER.parse(template):
            if literal:
                self.add(literal)
            if field is None:
                continue
            if spec or conv:
                raise ValueError("template fields take no format spec")
            self.add(values[field])
        return self

    def line(self, template: str = "", **values: Part) -> DocBuilder:
        """Like :meth:`fmt`, followed by a newline."""
        return self.fmt(template, **values).add("\n")

    def build(self) -> tuple[str, tuple[Label, ...]]:
        """The text and its labels, in insertion order (which is also start order)."""
        return "".join(self._parts), tuple(self._labels)
