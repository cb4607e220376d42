"""Policy-defined recognizers and pluggable NER backends."""

from __future__ import annotations

import pytest

from resguardo.detect import CallableNer, build_analyzer
from resguardo.errors import PolicyError
from resguardo.policy.schema import CustomRecognizer


def test_policy_regex_and_deny_list_are_applied() -> None:
    """A regex and a deny list from the policy produce their entity types."""
    analyzer = build_analyzer(custom=(
        CustomRecognizer(id="codes", entity_type="CONFIDENTIAL", deny_list=("Proyecto Fénix",)),
        CustomRecognizer(id="orders", entity_type="ORDER_ID", pattern=r"\bPO-\d{6}\b",
                         score=0.8),
    ))
    text = "El proyecto fenix va con el PO-123456."
    found = {(f.type, text[f.start : f.end]) for f in analyzer.analyze(text)}
    assert ("CONFIDENTIAL", "proyecto fenix") in found
    assert ("ORDER_ID", "PO-123456") in found


def test_invalid_policy_regex_is_a_policy_error_without_text() -> None:
    """A broken regex fails when the analyzer is built, naming only the recognizer."""
    bad = CustomRecognizer.model_construct(id="bad", entity_type="X_Y", pattern="([",
                                           deny_list=(), score=0.9, category=None)
    with pytest.raises(PolicyError) as info:
        build_analyzer(custom=(bad,))
    assert "recognizers.bad.pattern" in str(info.value)


def test_ner_backend_findings_are_merged_and_extend_holdback() -> None:
    """A backend's entities join rule findings; its max_length bounds stream holdback."""
    def model(text: str) -> list[tuple[int, int, str, float]]:
        i = text.find("Zyx Qwerty")
        return [(i, i + 10, "PER", 0.9)] if i >= 0 else []

    analyzer = build_analyzer(ner=CallableNer(model, max_length=400))
    text = "informe de Zyx Qwerty, email zq@x.es"
    found = {(f.type, text[f.start : f.end], f.source) for f in analyzer.analyze(text)}
    assert ("PERSON", "Zyx Qwerty", "ner") in found
    assert ("EMAIL", "zq@x.es", "email") in found
    assert analyzer.spaced_holdback >= 400


def test_spacy_adapter_reports_missing_model_as_config_error() -> None:
    """Asking for a spaCy model that is not installed never downloads: it fails clearly."""
    from resguardo.detect import SpacyNer
    from resguardo.errors import ConfigError

    with pytest.raises(ConfigError):
        SpacyNer("xx_model_that_does_not_exist")
