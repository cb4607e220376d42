"""Merging never splices neighbours; known values are matched exactly and loosely."""

from __future__ import annotations

from resguardo.detect import Analyzer, Finding, KnownValue
from resguardo.detect.merge import resolve


def test_three_adjacent_emails_are_three_findings(analyzer: Analyzer) -> None:
    """Emails separated by a space, comma or semicolon stay separate."""
    for sep in (" ", ",", ";", ", "):
        text = sep.join(["a@x.es", "b@y.com", "c@z.org"])
        found = [f for f in analyzer.analyze(text) if f.type == "EMAIL"]
        assert [text[f.start : f.end] for f in found] == ["a@x.es", "b@y.com", "c@z.org"]


def test_adjacent_phones_are_not_joined(analyzer: Analyzer) -> None:
    """Two phone numbers in a row are two findings."""
    text = "612 345 678 / 699 111 222"
    found = [text[f.start : f.end] for f in analyzer.analyze(text) if f.type == "PHONE"]
    assert found == ["612 345 678", "699 111 222"]


def test_overlap_prefers_score_then_length() -> None:
    """The higher score wins; on equal score the longer one; touching spans both stay."""
    a = Finding(0, 10, "ADDRESS", 0.9)
    b = Finding(5, 8, "PERSON", 0.8)
    c = Finding(10, 14, "PERSON", 0.8)
    assert resolve([b, a, c]) == [a, c]
    long_, short = Finding(0, 20, "LOCATION", 0.7), Finding(0, 5, "PERSON", 0.7)
    assert resolve([short, long_]) == [long_]


def test_known_name_matches_loosely(analyzer: Analyzer) -> None:
    """A CRM name is found without accents, in other case, and by surname alone."""
    known = [KnownValue("José Pérez Núñez", "PERSON")]
    text = "hablé con jose perez nuñez; luego la Sra. PÉREZ llamó y Núñez también"
    spans = [text[f.start : f.end] for f in analyzer.analyze(text, known=known)
             if f.type == "PERSON"]
    assert "jose perez nuñez" in spans and "PÉREZ" in spans and "Núñez" in spans


def test_known_phone_matches_with_other_separators(analyzer: Analyzer) -> None:
    """A known phone is found written differently."""
    text = "su móvil: 600-12-34-56 (el de siempre)"
    found = analyzer.analyze(text, known=[KnownValue("+34 600 123 456", "PHONE")])
    assert any(f.type == "PHONE" and "600-12-34-56" in text[f.start : f.end] for f in found)


def test_known_value_does_not_match_inside_words(analyzer: Analyzer) -> None:
    """A short known name does not fire inside a longer word."""
    found = analyzer.analyze("una banana", known=[KnownValue("Ana", "PERSON")])
    assert not [f for f in found if f.type == "PERSON"]
