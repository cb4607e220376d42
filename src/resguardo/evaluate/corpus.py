"""Readers for labelled corpora: BRAT stand-off (MEDDOCAN), BIO token files (es_echr), synth JSONL.

Each yields :class:`GoldDoc` with the corpus's own type names; :mod:`.schema` maps them to ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from resguardo.errors import InputError
from resguardo.synth.model import read_jsonl

__all__ = ["GoldDoc", "GoldSpan", "read_bio", "read_brat", "read_synth"]


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """An annotated span; ``type`` is the corpus's label (e.g. ``NOMBRE_SUJETO_ASISTENCIA``)."""

    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class GoldDoc:
    """A text with its annotated spans."""

    id: str
    text: str
    spans: tuple[GoldSpan, ...]


def _brat_spans(ann_path: Path, text: str) -> tuple[GoldSpan, ...]:
    spans: list[GoldSpan] = []
    where = {"file": ann_path.name}
    for line in ann_path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("T"):
            continue  # relations, events, attributes and notes carry no spans
        fields = line.split("\t")
        if len(fields) < 2:
            raise InputError("BRAT annotation line has too few fields.", details=where)
        label, _, offsets = fields[1].partition(" ")
        # Discontinuous entities ("10 20;25 30") become one span per fragment.
        for fragment in offsets.split(";"):
            try:
                start, end = (int(v) for v in fragment.split())
            except ValueError as exc:
                raise InputError("BRAT annotation has bad offsets.", details=where) from exc
            if not 0 <= start < end <= len(text):
                raise InputError("BRAT span lies outside its text.", details=where)
            spans.append(GoldSpan(start, end, label))
    spans.sort(key=lambda s: (s.start, s.end))
    return tuple(spans)


def read_brat(path: Path) -> Iterator[GoldDoc]:
    """Every ``NAME.txt`` + ``NAME.ann`` pair in a directory (or one ``.ann`` file), by name."""
    ann_files = [path] if path.is_file() else sorted(path.glob("*.ann"))
    if not ann_files:
        raise InputError("No .ann files found.", details={"path": str(path)})
    for ann in ann_files:
        txt = ann.with_suffix(".txt")
        if not txt.exists():
            raise InputError("BRAT .ann file has no matching .txt.", details={"file": ann.name})
        # newline="" keeps "\r\n" as two characters, as BRAT offsets count them.
        with txt.open(encoding="utf-8", newline="") as fh:
            text = fh.read()
        yield GoldDoc(id=ann.stem, text=text, spans=_brat_spans(ann, text))


def _bio_doc(doc_id: str, lines: list[str]) -> GoldDoc:
    """Rebuild the text by joining tokens with spaces and sentences with newlines."""
    parts: list[str] = []
    spans: list[GoldSpan] = []
    pos = 0
    open_type: str | None = None
    open_start = open_end = 0
    at_sentence_start = True

    def close() -> None:
        nonlocal open_type
        if open_type is not None:
            spans.append(GoldSpan(open_start, open_end, open_type))
            open_type = None

    for raw in lines:
        line = raw.strip()
        if not line:
            close()
            if not at_sentence_start:
                parts.append("\n")
                pos += 1
                at_sentence_start = True
            continue
        token, _, tag = line.rpartition(" ")
        if not token:  # a token with no tag column
            token, tag = tag, "O"
        if not at_sentence_start:
            parts.append(" ")
            pos += 1
        start, end = pos, pos + len(token)
        parts.append(token)
        pos = end
        at_sentence_start = False
        prefix, _, label = tag.partition("-")
        if prefix == "B" or (prefix == "I" and label != open_type):
            close()  # an I- after O or after another type starts a span (IOB1 leniency)
            open_type, open_start, open_end = label, start, end
        elif prefix == "I":
            open_end = end
        else:
            close()
    close()
    return GoldDoc(id=doc_id, text="".join(parts).rstrip("\n"), spans=tuple(spans))


def read_bio(path: Path) -> Iterator[GoldDoc]:
    """One document per ``token tag`` file (or per ``.tsv`` file in a directory)."""
    files = [path] if path.is_file() else sorted(path.glob("*.tsv"))
    if not files:
        raise InputError("No BIO .tsv files found.", details={"path": str(path)})
    for file in files:
        # splitlines() also splits on a bare "\r", which some of these files use.
        lines = file.read_text(encoding="utf-8").splitlines()
        yield _bio_doc(file.stem, lines)


def read_synth(path: Path) -> Iterator[GoldDoc]:
    """Documents from a ``resguardo synth`` JSONL file."""
    for doc in read_jsonl(path):
        yield GoldDoc(
            id=doc.id,
            text=doc.text,
            spans=tuple(GoldSpan(lb.start, lb.end, lb.type) for lb in doc.labels),
        )
