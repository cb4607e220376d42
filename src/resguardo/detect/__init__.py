"""Personal-data detection: recognizers, validators, names, merging, streaming, JSON.

    analyzer = build_analyzer(custom=policy.recognizers)
    findings = analyzer.analyze(text, known=[KnownValue("Ana Pérez", "PERSON")])
"""

from __future__ import annotations

from resguardo.detect.analyzer import Analyzer, build_analyzer, default_recognizers
from resguardo.detect.labels import hint_type
from resguardo.detect.ner import CallableNer, NerBackend, PresidioNer, SpacyNer
from resguardo.detect.recognizer import Recognizer, Registry
from resguardo.detect.stream import StreamScanner
from resguardo.detect.types import Detector, EntityCategories, Finding, KnownValue

__all__ = [
    "Analyzer",
    "CallableNer",
    "Detector",
    "EntityCategories",
    "Finding",
    "KnownValue",
    "NerBackend",
    "PresidioNer",
    "Recognizer",
    "Registry",
    "SpacyNer",
    "StreamScanner",
    "build_analyzer",
    "default_recognizers",
    "hint_type",
]
