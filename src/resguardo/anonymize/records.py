"""Anonymize one record (a CSV row or a JSON value): hints from field names, detector on text.

Per record: (1) the fields whose names say what they hold (``email``, ``nombre``, ``dni``)
become known values, so the free-text fields of the same record are scanned for them too;
(2) every string is analyzed and its findings collected; (3) the record's subject (its first
email, national ID, phone or name) fixes the date shift; (4) findings are replaced, and the
text between them is checked once more against every name seen in the whole input.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from resguardo.anonymize.dates import shift_dates
from resguardo.anonymize.keys import fold, normalize
from resguardo.anonymize.surrogates import SurrogateMaker
from resguardo.detect.labels import hint_type
from resguardo.detect.types import Detector, Finding, KnownValue
from resguardo.errors import DetectionFailed

__all__ = ["KnownNames", "RecordAnonymizer", "person_values"]

# Field types whose values identify the subject, strongest first (they pick the date shift).
_SUBJECT_TYPES = ("EMAIL", "ES_DNI", "ES_NIE", "NATIONAL_ID", "ES_NIF", "PHONE", "PERSON")
_MAX_KNOWN_LEN = 120
_DATEISH = re.compile(r"(?i)(fecha|date|_at$|_on$|^at$|dia|day|nacimiento|birth|dob)")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_GAP = re.compile(r"[ \t]+")

Leaf = tuple[Any, Any, str, str | None]  # (container, key, text, hint)


class KnownNames:
    """Every name seen in a name field anywhere in the input, matched as whole words."""

    def __init__(self, *, max_size: int = 500_000) -> None:
        self._full: set[str] = set()
        self._max = max_size

    def __len__(self) -> int:
        return len(self._full)

    def add(self, value: str) -> None:
        """Remember a name and its parts (3+ letters), folded."""
        if len(self._full) >= self._max:
            return
        folded = fold(value)
        if folded:
            self._full.add(folded)
        for word in _WORD.findall(folded):
            if len(word) >= 3:
                self._full.add(word)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Non-overlapping (start, end) of known names in ``text``, longest first at each word."""
        if not self._full or not text:
            return
        words = list(_WORD.finditer(text))
        i = 0
        while i < len(words):
            hit = 0
            for n in (4, 3, 2, 1):
                if i + n > len(words):
                    continue
                seq = words[i : i + n]
                # Only words separated by spaces form one name ("Ana Pérez", not "Ana, Pérez").
                if any(not _GAP.fullmatch(text[a.end() : b.start()])
                       for a, b in itertools.pairwise(seq)):
                    continue
                if n == 1 and not seq[0].group()[:1].isupper():
                    continue  # a lone lowercase word ("rosa") is more likely not a name
                if fold(text[seq[0].start() : seq[-1].end()]) in self._full:
                    hit = n
                    break
            if hit:
                yield words[i].start(), words[i + hit - 1].end()
                i += hit
            else:
                i += 1


def person_values(record: Any, key: str | None = None) -> Iterator[str]:
    """Values of the fields named like a person's name (``nombre``, ``full_name``…)."""
    stack: list[tuple[str | None, Any]] = [(key, record)]
    while stack:
        k, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((str(kk), vv) for kk, vv in value.items())
        elif isinstance(value, list):
            stack.extend((k, vv) for vv in value)
        elif (isinstance(value, str) and hint_type(k) == "PERSON" and value.strip()
              and len(value) <= _MAX_KNOWN_LEN):
            yield value


def _leaves(record: Any) -> list[Leaf]:
    out: list[Leaf] = []
    stack: list[tuple[Any, Any, str | None, Any]] = [(None, None, None, record)]
    while stack:  # iterative: a deeply nested export must not exhaust the call stack
        container, key, hint, value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                stack.append((value, k, str(k), v))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                stack.append((value, i, hint, v))
        elif isinstance(value, str):
            out.append((container, key, value, hint))
        elif isinstance(value, int | float) and not isinstance(value, bool) and (
            hint_type(hint) is not None
        ):
            # A phone or ID stored as a number is still the subject's phone or ID.
            out.append((container, key, str(value), hint))
    return out


@dataclass
class _Pending:
    leaf: Leaf
    findings: list[Finding]


class RecordAnonymizer:
    """Replaces personal data in records with consistent surrogates; keeps their shape."""

    def __init__(
        self,
        detector: Detector,
        maker: SurrogateMaker,
        *,
        known_names: KnownNames | None = None,
        shift_per_subject: bool = True,
        max_shift_days: int = 365,
    ) -> None:
        self.detector = detector
        self.maker = maker
        self.known_names = known_names or KnownNames()
        self.shift_per_subject = shift_per_subject
        self.max_shift_days = max_shift_days
        self._run_shift = self._shift_for("run")

    def _shift_for(self, subject: str) -> int:
        rng = self.maker.secret.rng("date-shift", subject)
        # Never zero: an unshifted date would be the original date.
        days = rng.randrange(1, self.max_shift_days + 1)
        return days if rng.random() < 0.5 else -days

    def shift_days(self, subject_key: str | None) -> int:
        """The day offset for a record of this subject (one per run when unknown)."""
        if not self.shift_per_subject or subject_key is None:
            return self._run_shift
        return self._shift_for("subject:" + subject_key)

    def anonymize(self, record: Any) -> Any:
        """The record with every personal value replaced (a string or number is rebuilt)."""
        if isinstance(record, str | int | float) and not isinstance(record, bool):
            holder = {"value": record}
            self.anonymize(holder)
            return holder["value"]
        leaves = _leaves(record)
        known = self._known(leaves)
        pending: list[_Pending] = []
        for leaf in leaves:
            _, _, text, hint = leaf
            try:
                found = self.detector.analyze(text, known=known, hint=hint)
            except DetectionFailed:
                raise
            except Exception:
                raise DetectionFailed("Detection failed.") from None
            pending.append(_Pending(leaf, found))
        shift = self.shift_days(self._subject(known, pending))
        for item in pending:
            self._apply(item, shift)
        return record

    @staticmethod
    def _known(leaves: Sequence[Leaf]) -> list[KnownValue]:
        known: list[KnownValue] = []
        for _, _, text, hint in leaves:
            kind = hint_type(hint)
            value = text.strip()
            if kind in _SUBJECT_TYPES and value and len(value) <= _MAX_KNOWN_LEN:
                known.append(KnownValue(value, kind))
        return known

    def _subject(self, known: Sequence[KnownValue], pending: Sequence[_Pending]) -> str | None:
        candidates = [(kv.type, kv.value) for kv in known]
        candidates += [(f.type, p.leaf[2][f.start : f.end]) for p in pending for f in p.findings]
        for wanted in _SUBJECT_TYPES:
            for kind, value in candidates:
                if kind == wanted:
                    group = "ID" if kind in ("ES_DNI", "ES_NIE", "NATIONAL_ID", "ES_NIF") else kind
                    return group + ":" + normalize(kind, value)
        return None

    def _apply(self, item: _Pending, shift: int) -> None:
        container, key, text, hint = item.leaf
        parts: list[str] = []
        last = 0
        for f in item.findings:
            if f.start < last:
                continue
            parts.append(self._names(text[last : f.start]))
            parts.append(self.maker.replace(f.type, text[f.start : f.end], hint=hint,
                                            shift_days=shift))
            last = f.end
        tail = text[last:]
        if not item.findings and hint is not None and _DATEISH.search(hint):
            # A date column the detector did not flag (created_at): shift it all the same.
            tail, n = shift_dates(tail, shift, day_first=self.maker.lang == "es")
            self.maker.dates_shifted += n
            if n:
                self.maker.counts["DATE"] += 1
        parts.append(self._names(tail))
        new = "".join(parts)
        if new == text:
            return
        original = container[key]
        if isinstance(original, int) and new.isdigit():
            container[key] = int(new)
        else:
            container[key] = new

    def _names(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for start, end in self.known_names.spans(text):
            out.append(text[last:start])
            out.append(self.maker.replace("PERSON", text[start:end]))
            last = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)
