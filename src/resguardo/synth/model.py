"""The labelled document a generator emits, and its JSONL form."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from resguardo.errors import InputError

__all__ = ["Label", "SynthDoc", "doc_from_dict", "doc_to_dict", "read_jsonl", "write_jsonl"]


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth: ``text[start:end]`` is a value of entity ``type``."""

    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class SynthDoc:
    """One synthetic document with the spans its generator inserted."""

    id: str
    kind: str
    lang: str
    text: str
    labels: tuple[Label, ...]


def doc_to_dict(doc: SynthDoc) -> dict[str, Any]:
    """A JSON-ready mapping; each label also carries its text, for readers' convenience."""
    return {
        "id": doc.id,
        "kind": doc.kind,
        "lang": doc.lang,
        "text": doc.text,
        "labels": [
            {"start": lb.start, "end": lb.end, "type": lb.type, "text": doc.text[lb.start : lb.end]}
            for lb in doc.labels
        ],
    }


def doc_from_dict(data: Mapping[str, Any]) -> SynthDoc:
    """Rebuild a document from :func:`doc_to_dict` output, checking every offset."""
    try:
        text = str(data["text"])
        labels = tuple(
            Label(int(lb["start"]), int(lb["end"]), str(lb["type"])) for lb in data["labels"]
        )
        doc = SynthDoc(
            id=str(data["id"]),
            kind=str(data.get("kind", "")),
            lang=str(data.get("lang", "")),
            text=text,
            labels=labels,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError("Synthetic document is missing a field or has a bad value.") from exc
    for lb in labels:
        if not 0 <= lb.start < lb.end <= len(text):
            raise InputError("Synthetic document has a label outside its text.")
    return doc


def write_jsonl(docs: Iterable[SynthDoc], out: TextIO) -> int:
    """Write one JSON object per line; returns the number written."""
    count = 0
    for doc in docs:
        out.write(orjson.dumps(doc_to_dict(doc)).decode("utf-8"))
        out.write("\n")
        count += 1
    return count


def read_jsonl(path: Path) -> Iterator[SynthDoc]:
    """Documents from a JSONL file written by :func:`write_jsonl` (blank lines skipped)."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    data = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise InputError("Synthetic corpus line is not JSON.") from exc
                yield doc_from_dict(data)
