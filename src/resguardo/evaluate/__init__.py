"""Detector evaluation on labelled corpora (MEDDOCAN BRAT, es_echr BIO, synth JSONL).

    schema, docs = load_corpus("meddocan", Path(".../meddocan/dev/brat"))
    report = evaluate(build_analyzer(), docs, schema)
"""

from __future__ import annotations

from resguardo.evaluate.corpus import GoldDoc, GoldSpan, read_bio, read_brat, read_synth
from resguardo.evaluate.metrics import EvalReport, Miss, Scores, TypeScores, evaluate
from resguardo.evaluate.report import CORPORA, load_corpus, render_table
from resguardo.evaluate.schema import ECHR, ENTITY_TYPES, MEDDOCAN, SCHEMAS, SYNTH, CorpusSchema

__all__ = [
    "CORPORA",
    "ECHR",
    "ENTITY_TYPES",
    "MEDDOCAN",
    "SCHEMAS",
    "SYNTH",
    "CorpusSchema",
    "EvalReport",
    "GoldDoc",
    "GoldSpan",
    "Miss",
    "Scores",
    "TypeScores",
    "evaluate",
    "load_corpus",
    "read_bio",
    "read_brat",
    "read_synth",
    "render_table",
]
