"""Irreversible safe test copies of real exports (CSV, JSON, JSONL).

    summary = anonymize_path(Path("export.csv"), Path("safe.csv"), build_analyzer())

Each personal value becomes a consistent surrogate: the same person is the same fake
person in every row and file of one run, dates move by a per-subject offset, identifiers
keep valid check digits. The mapping comes from an HMAC under a random per-run secret
that is never stored, so the copy cannot be turned back into the original.
"""

from __future__ import annotations

from resguardo.anonymize.files import FORMATS, AnonymizeSummary, anonymize_path, plan_files
from resguardo.anonymize.keys import RunSecret, normalize
from resguardo.anonymize.records import KnownNames, RecordAnonymizer
from resguardo.anonymize.surrogates import SurrogateMaker

__all__ = [
    "FORMATS",
    "AnonymizeSummary",
    "KnownNames",
    "RecordAnonymizer",
    "RunSecret",
    "SurrogateMaker",
    "anonymize_path",
    "normalize",
    "plan_files",
]
