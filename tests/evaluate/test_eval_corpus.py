"""Corpus readers: BRAT stand-off, BIO token files, synth JSONL."""

from __future__ import annotations

from pathlib import Path

import pytest

from resguardo.errors import InputError
from resguardo.evaluate import read_bio, read_brat, read_synth
from resguardo.synth import generate, write_jsonl


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def test_brat_reader_keeps_offsets_with_crlf_and_splits_discontinuous(tmp_path: Path) -> None:
    """Offsets count "\\r\\n" as two characters; "a b;c d" spans become two spans."""
    _write(tmp_path / "doc1.txt", "Paciente: Pedro\r\nDe Miguel Rivera, 53 años.")
    _write(tmp_path / "doc1.ann", "T1\tNOMBRE_SUJETO_ASISTENCIA 10 15\tPedro\n"
           "T2\tNOMBRE_SUJETO_ASISTENCIA 17 26;27 33\tDe Miguel Rivera\n"
           "#1\tAnnotatorNotes T1\tnote\n"
           "T3\tEDAD_SUJETO_ASISTENCIA 35 42\t53 años\n")
    (doc,) = list(read_brat(tmp_path))
    assert doc.id == "doc1"
    assert [(doc.text[s.start : s.end], s.type) for s in doc.spans] == [
        ("Pedro", "NOMBRE_SUJETO_ASISTENCIA"),
        ("De Miguel", "NOMBRE_SUJETO_ASISTENCIA"),
        ("Rivera", "NOMBRE_SUJETO_ASISTENCIA"),
        ("53 años", "EDAD_SUJETO_ASISTENCIA"),
    ]


def test_brat_reader_rejects_spans_outside_the_text(tmp_path: Path) -> None:
    """A span past the end of its text is an input error."""
    _write(tmp_path / "d.txt", "short")
    _write(tmp_path / "d.ann", "T1\tFECHAS 2 99\tx\n")
    with pytest.raises(InputError):
        list(read_brat(tmp_path))


def test_brat_reader_needs_ann_files(tmp_path: Path) -> None:
    """An empty directory is an input error, not an empty evaluation."""
    with pytest.raises(InputError):
        list(read_brat(tmp_path))


def test_bio_reader_rebuilds_text_and_spans(tmp_path: Path) -> None:
    """Tokens join with spaces, sentences with newlines; B-/I- runs become spans."""
    _write(tmp_path / "ES-dev.tsv",
           "PROCEDIMIENTO O\r\n\r\nla B-PER\r\nSra I-PER\r\n. I-PER\r\nMendel I-PER\r\n"
           "vive O\rin O\nMalmö I-LOC\n, O\nel B-DATE\n1 I-DATE\n\nFin O\n")
    (doc,) = list(read_bio(tmp_path / "ES-dev.tsv"))
    assert doc.text == "PROCEDIMIENTO\nla Sra . Mendel vive in Malmö , el 1\nFin"
    assert [(doc.text[s.start : s.end], s.type) for s in doc.spans] == [
        ("la Sra . Mendel", "PER"), ("Malmö", "LOC"), ("el 1", "DATE"),
    ]


def test_bio_reader_starts_a_new_span_on_a_type_change(tmp_path: Path) -> None:
    """An I- tag of another type closes the open span and opens a new one."""
    _write(tmp_path / "x.tsv", "Juan B-PER\nMadrid I-LOC\nhoy B-DATE\nmañana B-DATE\n")
    (doc,) = list(read_bio(tmp_path))
    assert [(doc.text[s.start : s.end], s.type) for s in doc.spans] == [
        ("Juan", "PER"), ("Madrid", "LOC"), ("hoy", "DATE"), ("mañana", "DATE"),
    ]


def test_synth_reader_yields_labels_as_gold(tmp_path: Path) -> None:
    """A synth JSONL file reads back as gold documents with the generator's labels."""
    docs = list(generate(4, seed=2))
    path = tmp_path / "s.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        write_jsonl(docs, fh)
    gold = list(read_synth(path))
    assert [g.text for g in gold] == [d.text for d in docs]
    assert [len(g.spans) for g in gold] == [len(d.labels) for d in docs]
