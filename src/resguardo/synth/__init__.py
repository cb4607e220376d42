"""Synthetic Spanish/English business documents with exact ground-truth labels.

    from resguardo.synth import generate, write_jsonl
    docs = generate(100, seed=7, kinds=["email"], langs=["es"])
"""

from __future__ import annotations

from resguardo.synth.generator import KINDS, LANGS, generate
from resguardo.synth.model import (
    Label,
    SynthDoc,
    doc_from_dict,
    doc_to_dict,
    read_jsonl,
    write_jsonl,
)

__all__ = [
    "KINDS",
    "LANGS",
    "Label",
    "SynthDoc",
    "doc_from_dict",
    "doc_to_dict",
    "generate",
    "read_jsonl",
    "write_jsonl",
]
