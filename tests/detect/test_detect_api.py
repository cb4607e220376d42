"""The public surface of resguardo.detect."""

from __future__ import annotations

import itertools

import resguardo.detect as detect
from resguardo.detect import Analyzer, Finding, KnownValue, NerBackend, build_analyzer
from resguardo.policy.schema import DEFAULT_CATEGORIES


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ names every public export and each one resolves."""
    assert set(detect.__all__) >= {
        "build_analyzer",
        "Analyzer",
        "Finding",
        "KnownValue",
        "NerBackend",
        "StreamScanner",
    }
    for name in detect.__all__:
        assert getattr(detect, name) is not None
    public = {
        n
        for n in vars(detect)
        if (not n.startswith("_") and n[0].isupper())
        or n in ("build_analyzer", "default_recognizers", "hint_type")
    }
    assert public - {"annotations"} <= set(detect.__all__) | {n for n in public if n.islower()}


def test_build_analyzer_takes_only_optional_kwargs(analyzer: Analyzer) -> None:
    """build_analyzer() works with no arguments and with all of them."""
    assert isinstance(analyzer, Analyzer)
    custom = build_analyzer(custom=(), ner=None, thresholds={"PERSON": 0.9})
    assert custom.thresholds["PERSON"] == 0.9
    assert isinstance(analyzer.max_entity_length, int) and analyzer.max_entity_length > 0


def test_every_emitted_type_has_a_default_category(analyzer: Analyzer) -> None:
    """Each entity type a recognizer can emit is mapped by DEFAULT_CATEGORIES."""
    mapped = {t for c in DEFAULT_CATEGORIES for t in c.entity_types}
    assert analyzer.registry.types <= mapped


def test_findings_are_sorted_and_disjoint(analyzer: Analyzer) -> None:
    """analyze returns sorted, non-overlapping findings."""
    text = "Ana García, ana@x.es, 612 345 678, DNI 12345678Z, IBAN ES9121000418450200051332."
    found = analyzer.analyze(text)
    assert all(isinstance(f, Finding) for f in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_empty_and_odd_unicode_text_is_fine(analyzer: Analyzer) -> None:
    """Empty text, emoji, RTL and combining marks never raise."""
    assert analyzer.analyze("") == []
    for text in ("🙂" * 50, "مرحبا بالعالم", "e\u0301" * 30, "\x00\x01\ufffd", "\u202e" * 9):
        analyzer.analyze(text)


def test_ner_backend_protocol_is_runtime_checkable() -> None:
    """A class with name, max_length and entities() is a NerBackend."""

    class Mine:
        name = "mine"
        max_length = 10

        def entities(self, text: str) -> list[Finding]:
            return []

    assert isinstance(Mine(), NerBackend)
    assert KnownValue("x", "PERSON").type == "PERSON"
