"""The analyzer: recognizers + known values + optional NER, context, thresholds, merge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from resguardo.detect._text import Scan
from resguardo.detect.context import DEFAULT_THRESHOLDS, apply_context
from resguardo.detect.custom import from_policy
from resguardo.detect.dates import AgeRecognizer, DateRecognizer
from resguardo.detect.health import HealthRecognizer
from resguardo.detect.known import find_known
from resguardo.detect.labels import IdLabelRecognizer, LabelRecognizer
from resguardo.detect.location import AddressRecognizer, PlaceRecognizer
from resguardo.detect.merge import resolve
from resguardo.detect.names import NameRecognizer
from resguardo.detect.ner import NerBackend
from resguardo.detect.numbers import (
    CardRecognizer,
    EuIdRecognizer,
    IbanRecognizer,
    SpanishIdRecognizer,
)
from resguardo.detect.patterns import (
    EmailRecognizer,
    IpRecognizer,
    PlateRecognizer,
    SecretRecognizer,
)
from resguardo.detect.phones import PhoneRecognizer
from resguardo.detect.recognizer import Recognizer, Registry
from resguardo.detect.stream import StreamScanner
from resguardo.detect.structured import JsonPath, apply_hint, walk_json
from resguardo.detect.types import Finding, KnownValue
from resguardo.errors import DetectionFailed

if TYPE_CHECKING:
    from resguardo.policy.schema import CustomRecognizer

__all__ = ["Analyzer", "build_analyzer", "default_recognizers"]

# Recognizers whose values never contain whitespace: the stream holds these back by
# their trailing run instead of by length (see StreamScanner).
_UNSPACED = frozenset({"secret", "email"})


def default_recognizers(*, region: str = "ES") -> list[Recognizer]:
    """The built-in recognizers, every one applied whatever the text's language."""
    return [
        EmailRecognizer(), IpRecognizer(), SecretRecognizer(), PlateRecognizer(),
        SpanishIdRecognizer(), IbanRecognizer(), CardRecognizer(), EuIdRecognizer(),
        PhoneRecognizer(region), DateRecognizer(), AgeRecognizer(), NameRecognizer(),
        AddressRecognizer(), PlaceRecognizer(), HealthRecognizer(), LabelRecognizer(),
        IdLabelRecognizer(),
    ]


class Analyzer:
    """Finds personal data in text; thread-safe and reusable (no per-call compilation)."""

    def __init__(
        self,
        registry: Registry,
        *,
        ner: NerBackend | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.registry = registry
        self.ner = ner
        self.thresholds: Mapping[str, float] = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
        ner_len = ner.max_length if ner is not None else 0
        self.max_entity_length = max(registry.max_length, ner_len)
        """The longest value any recognizer can match (bounds stream holdback)."""
        self.spaced_holdback = max(
            [r.max_length for r in registry if r.name not in _UNSPACED] + [ner_len]
        )
        """The longest value that may contain whitespace."""

    def analyze(
        self, text: str, *, known: Sequence[KnownValue] = (), hint: str | None = None
    ) -> list[Finding]:
        """Findings in ``text``, sorted by start, never overlapping."""
        if not text:
            return []
        try:
            scan = Scan(text)
            candidates = self.registry.run(scan)
            if known:
                candidates.extend(find_known(text, known, folded=scan.folded))
            if self.ner is not None:
                candidates.extend(self.ner.entities(text))
            kept = apply_context(text, candidates, self.thresholds, folded=scan.folded)
            if hint is not None:
                kept = apply_hint(text, hint, kept)
            return resolve(kept, text)
        except DetectionFailed:
            raise
        except Exception as exc:
            # Fail closed, and never echo the text: the message names no value.
            raise DetectionFailed("Detection failed.") from exc

    def analyze_json(
        self, obj: Any, *, known: Sequence[KnownValue] = ()
    ) -> list[tuple[JsonPath, Finding]]:
        """Findings in every string value of a JSON document, with each value's path."""
        return list(walk_json(self, obj, known))

    def stream(self, known: Sequence[KnownValue] = ()) -> StreamScanner:
        """A scanner for text that arrives in chunks."""
        return StreamScanner(self, known)


def build_analyzer(
    custom: Sequence[CustomRecognizer] = (),
    ner: NerBackend | None = None,
    thresholds: Mapping[str, float] | None = None,
    *,
    region: str = "ES",
    extra: Sequence[Recognizer] = (),
) -> Analyzer:
    """An analyzer with the built-in recognizers plus the policy's custom ones."""
    registry = Registry(tuple(default_recognizers(region=region)))
    registry = registry.with_added([*from_policy(custom), *extra])
    return Analyzer(registry, ner=ner, thresholds=thresholds)
