"""Scoring: exact vs overlap matching, type aliases, unscored types, masked characters."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from resguardo.detect.types import Finding, KnownValue
from resguardo.evaluate import MEDDOCAN, SYNTH, GoldDoc, GoldSpan, evaluate


class Fixed:
    """A detector that returns the findings it was built with."""

    def __init__(self, findings: dict[str, list[Finding]]) -> None:
        self.findings = findings

    def analyze(
        self, text: str, *, known: Sequence[KnownValue] = (), hint: str | None = None
    ) -> list[Finding]:
        """The canned findings for this text."""
        return self.findings.get(text, [])


TEXT = "Ana Pérez, ana@x.es, DNI 12345678Z, cita el 3/2."
#       0123456789012345678901234567890123456789012345678
DOC = GoldDoc("d", TEXT, (
    GoldSpan(0, 9, "PERSON"), GoldSpan(11, 19, "EMAIL"), GoldSpan(25, 34, "ES_DNI"),
))


def _row(report: object, type_: str) -> object:
    return next(r for r in report.rows if r.type == type_)  # type: ignore[attr-defined]


def test_exact_and_overlap_matching_differ_on_partial_spans() -> None:
    """A finding covering part of a name is an overlap hit but not an exact one."""
    det = Fixed({TEXT: [Finding(0, 3, "PERSON", 1), Finding(11, 19, "EMAIL", 1)]})
    report = evaluate(det, [DOC], SYNTH)
    person, email = _row(report, "PERSON"), _row(report, "EMAIL")
    assert person.exact.recall == 0 and person.overlap.recall == 1  # type: ignore[attr-defined]
    assert email.exact.f1 == 1  # type: ignore[attr-defined]
    assert _row(report, "ES_DNI").overlap.recall == 0  # type: ignore[attr-defined]
    assert report.micro.overlap.recall == pytest.approx(2 / 3)


def test_a_date_finding_on_unlabelled_text_is_a_false_positive_on_synth() -> None:
    """Synth scores every type, so a DATE on a meeting date lowers DATE precision."""
    det = Fixed({TEXT: [Finding(44, 47, "DATE", 1)]})
    report = evaluate(det, [DOC], SYNTH, max_misses_per_type=5)
    date = _row(report, "DATE")
    assert date.pred == 1 and date.overlap.precision == 0  # type: ignore[attr-defined]
    assert [(m.kind, m.type) for m in report.misses if m.kind == "fp"] == [("fp", "DATE")]
    assert "[[3/2]]" in report.misses[-1].snippet


def test_date_finding_counts_on_a_date_of_birth() -> None:
    """A DATE finding on a DATE_OF_BIRTH span is accepted on both sides."""
    doc = GoldDoc("b", "nació el 01/02/1980", (GoldSpan(9, 19, "DATE_OF_BIRTH"),))
    report = evaluate(Fixed({doc.text: [Finding(9, 19, "DATE", 1)]}), [doc], SYNTH)
    assert _row(report, "DATE_OF_BIRTH").exact.recall == 1  # type: ignore[attr-defined]
    assert _row(report, "DATE").exact.precision == 1  # type: ignore[attr-defined]


def test_meddocan_folds_id_types_and_ignores_unscored_types() -> None:
    """ES_NSS counts as MEDDOCAN's ID; HEALTH findings and SEXO gold are left unscored."""
    text = "NSS 28 12345678 40, varón con asma"
    doc = GoldDoc("m", text, (GoldSpan(4, 18, "ID_ASEGURAMIENTO"),
                              GoldSpan(20, 25, "SEXO_SUJETO_ASISTENCIA")))
    det = Fixed({text: [Finding(4, 18, "ES_NSS", 1), Finding(30, 34, "HEALTH", 1)]})
    report = evaluate(det, [doc], MEDDOCAN)
    assert [r.type for r in report.rows] == ["ID"]
    assert report.rows[0].exact.f1 == 1
    assert report.unscored_predictions == {"HEALTH": 1}
    assert report.unmapped_gold == {"SEXO_SUJETO_ASISTENCIA": 1}
    assert report.masked_share == 1
    assert report.masked_share_all_gold == pytest.approx(12 / 17)


def test_masked_share_counts_non_space_characters_once() -> None:
    """Split findings over an address still mask its characters; spaces do not count."""
    text = "Vive en Calle Mayor 5, Madrid."
    doc = GoldDoc("a", text, (GoldSpan(8, 29, "ADDRESS"),))
    det = Fixed({text: [Finding(8, 21, "ADDRESS", 1), Finding(8, 13, "ADDRESS", 1)]})
    report = evaluate(det, [doc], SYNTH)
    # "Calle Mayor 5" = 11 non-space chars of "Calle Mayor 5, Madrid" = 18.
    assert report.masked_share == pytest.approx(11 / 18)
    assert _row(report, "ADDRESS").overlap.precision == 1  # type: ignore[attr-defined]
    assert report.overmasked_share == 0


def test_report_serialises_to_json_ready_dict() -> None:
    """to_dict gives rounded figures and per-type rows."""
    report = evaluate(Fixed({}), [DOC], SYNTH)
    data = report.to_dict()
    assert data["corpus"] == "synth" and data["docs"] == 1
    assert {row["type"] for row in data["types"]} == {"PERSON", "EMAIL", "ES_DNI"}  # type: ignore[attr-defined]
