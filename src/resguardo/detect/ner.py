"""Statistical NER behind one small protocol; spaCy and Presidio adapters load lazily.

A model of our own plugs in by implementing :class:`NerBackend` (``name``,
``max_length`` and ``entities``); nothing here downloads anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from resguardo.detect.types import Finding
from resguardo.errors import ConfigError

__all__ = ["LABEL_MAP", "CallableNer", "NerBackend", "PresidioNer", "SpacyNer"]

# Model labels (spaCy, Presidio, CoNLL, OntoNotes) to our entity types.
LABEL_MAP: Mapping[str, str] = {
    "PER": "PERSON", "PERSON": "PERSON", "LOC": "LOCATION", "GPE": "LOCATION",
    "LOCATION": "LOCATION", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN", "CREDIT_CARD": "CREDIT_CARD", "IP_ADDRESS": "IP_ADDRESS",
    "DATE_TIME": "DATE", "US_SSN": "US_SSN", "ES_NIF": "ES_DNI", "ES_NIE": "ES_NIE",
}


@runtime_checkable
class NerBackend(Protocol):
    """A statistical entity recognizer the analyzer consults after its rules."""

    name: str
    max_length: int  # longest entity it can return, for stream holdback

    def entities(self, text: str) -> Sequence[Finding]:
        """Entities in ``text`` with our type names and scores in [0, 1]."""
        ...


class CallableNer:
    """Wrap a plain function ``text -> [(start, end, label, score)]`` as a backend."""

    def __init__(
        self,
        fn: Callable[[str], Sequence[tuple[int, int, str, float]]],
        *,
        name: str = "ner",
        max_length: int = 64,
        labels: Mapping[str, str] = LABEL_MAP,
    ) -> None:
        self.name = name
        self.max_length = max_length
        self._fn = fn
        self._labels = labels

    def entities(self, text: str) -> list[Finding]:
        """Mapped entities; labels we do not know are dropped."""
        out = []
        for start, end, label, score in self._fn(text):
            kind = self._labels.get(label)
            if kind is not None:
                out.append(Finding(start, end, kind, float(score), self.name))
        return out


class SpacyNer:
    """A spaCy pipeline (already installed, e.g. ``es_core_news_md``) as a backend."""

    def __init__(self, model: str | Any, *, score: float = 0.7, max_length: int = 64) -> None:
        self.name = "spacy"
        self.max_length = max_length
        self._score = score
        if isinstance(model, str):
            try:
                import spacy
            except ImportError as exc:
                raise ConfigError("spaCy is not installed.", code="ner_unavailable") from exc
            try:
                self._nlp = spacy.load(model)  # local package only; never downloads
            except OSError as exc:
                raise ConfigError("spaCy model is not installed.", code="ner_unavailable") from exc
        else:
            self._nlp = model

    def entities(self, text: str) -> list[Finding]:
        """Entities from ``doc.ents``."""
        doc = self._nlp(text)
        out = []
        for ent in doc.ents:
            kind = LABEL_MAP.get(ent.label_)
            if kind is not None:
                out.append(Finding(ent.start_char, ent.end_char, kind, self._score, self.name))
        return out


class PresidioNer:
    """Presidio's ``AnalyzerEngine`` as a backend, for users who already run it."""

    def __init__(self, engine: Any | None = None, *, language: str = "en",
                 max_length: int = 64) -> None:
        self.name = "presidio"
        self.max_length = max_length
        self._language = language
        if engine is None:
            try:
                from presidio_analyzer import AnalyzerEngine
            except ImportError as exc:
                raise ConfigError("Presidio is not installed.", code="ner_unavailable") from exc
            engine = AnalyzerEngine()
        self._engine = engine

    def entities(self, text: str) -> list[Finding]:
        """Presidio results mapped to our types."""
        out = []
        for r in self._engine.analyze(text=text, language=self._language):
            kind = LABEL_MAP.get(r.entity_type)
            if kind is not None:
                out.append(Finding(r.start, r.end, kind, float(r.score), self.name))
        return out
