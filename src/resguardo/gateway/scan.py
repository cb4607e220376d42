"""Request side: find personal data in every string of a JSON body and pseudonymize it.

Two phases so minting can avoid token-like text the caller already sent: ``collect`` runs
detection once per string (and once more on its percent-decoded form when it has one),
``apply`` replaces the findings in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from resguardo.detect.types import Detector, Finding, KnownValue
from resguardo.errors import DetectionFailed, InputError
from resguardo.gateway.encodings import has_percent_encoding, percent_decode
from resguardo.vault.tokens import TokenMap, token_cores

__all__ = ["KNOWN_HEADER", "RequestScanner", "parse_known"]

KNOWN_HEADER = "x-resguardo-known"
METADATA_KEY = "resguardo_known"
_MAX_KNOWN = 500
# Enum-like protocol fields: never personal, and rewriting them would break the request.
STRUCTURAL_KEYS = frozenset({"model", "role", "type", "object", "encoding_format",
                             "tool_choice", "finish_reason", "status", "detail"})


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    type: str
    value: str


def _known_from(value: Any) -> list[KnownValue]:
    out: list[KnownValue] = []
    if isinstance(value, dict):  # {"PERSON": ["Ana Ruiz"], "EMAIL": "ana@x.es"}
        for kind, values in value.items():
            for v in [values] if isinstance(values, str) else values or ():
                if isinstance(v, str) and v.strip():
                    out.append(KnownValue(v.strip(), str(kind).upper()))
    elif isinstance(value, list):  # [{"value": "...", "type": "PERSON"}, "..."]
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                out.append(KnownValue(item["value"].strip(), str(item.get("type", "PERSON"))
                                      .upper()))
            elif isinstance(item, str) and item.strip():
                out.append(KnownValue(item.strip(), "PERSON"))
    else:
        raise InputError("Known values must be a JSON list or object.", code="invalid_known")
    if len(out) > _MAX_KNOWN:
        raise InputError("Too many known values.", code="invalid_known")
    return [kv for kv in out if kv.value]


def parse_known(header: str | None, body: dict[str, Any]) -> list[KnownValue]:
    """Known values from the ``X-Resguardo-Known`` header and ``metadata.resguardo_known``.

    The metadata entry is removed from the body: it is for Resguardo, not for the provider.
    """
    known: list[KnownValue] = []
    if header:
        raw = header
        # Headers arrive as latin-1; a UTF-8 JSON value is recovered when it was one.
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            raw = header.encode("latin-1").decode("utf-8")
        try:
            known.extend(_known_from(orjson.loads(raw)))
        except orjson.JSONDecodeError:
            raise InputError("X-Resguardo-Known must be JSON.", code="invalid_known") from None
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and METADATA_KEY in metadata:
        entry = metadata.pop(METADATA_KEY)
        if not metadata:
            body.pop("metadata")
        if isinstance(entry, str):
            try:
                entry = orjson.loads(entry)
            except orjson.JSONDecodeError:
                raise InputError("metadata.resguardo_known must be JSON.",
                                 code="invalid_known") from None
        known.extend(_known_from(entry))
    return known


class RequestScanner:
    """Finds personal data in a JSON body, then pseudonymizes it in place with one TokenMap."""

    __slots__ = ("_detector", "_known", "_pending", "_skip", "tmap", "types")

    def __init__(
        self,
        detector: Detector,
        tmap: TokenMap,
        known: Sequence[KnownValue] = (),
        *,
        skip_keys: frozenset[str] = STRUCTURAL_KEYS,
    ) -> None:
        self._detector = detector
        self._known = tuple(known)
        self._skip = skip_keys
        self._pending: list[tuple[Any, Any, str, list[_Hit]]] = []
        self.tmap = tmap
        self.types: set[str] = set()

    def collect(self, obj: Any, hint: str | None = None) -> None:
        """Detect in every string under ``obj`` (phase 1; nothing is changed yet)."""
        if isinstance(obj, dict):
            for key, value in obj.items():
                if isinstance(value, str):
                    if key not in self._skip:
                        self._scan(obj, key, value, key)
                elif isinstance(value, dict | list):
                    self.collect(value, key)
        elif isinstance(obj, list):
            for i, value in enumerate(obj):
                if isinstance(value, str):
                    self._scan(obj, i, value, hint)
                elif isinstance(value, dict | list):
                    self.collect(value, hint)

    def scan_text(self, text: str, hint: str | None = None) -> list[Finding]:
        """Findings in one string, seeing through percent-encoding (offsets in ``text``)."""
        return [Finding(h.start, h.end, h.type, 1.0) for h in self._hits(text, hint)]

    def _hits(self, text: str, hint: str | None) -> list[_Hit]:
        try:
            found = self._detector.analyze(text, known=self._known, hint=hint)
            hits = [_Hit(f.start, f.end, f.type, text[f.start : f.end]) for f in found]
            if has_percent_encoding(text):
                decoded, offsets = percent_decode(text)
                for f in self._detector.analyze(decoded, known=self._known, hint=hint):
                    hits.append(_Hit(offsets[f.start], offsets[f.end], f.type,
                                     decoded[f.start : f.end]))
                hits = _non_overlapping(hits)
        except Exception:
            # Fail closed, and say nothing about the text that made the detector fail.
            raise DetectionFailed() from None
        return hits

    def _scan(self, container: Any, key: Any, text: str, hint: str | None) -> None:
        if not text:
            return
        hits = self._hits(text, hint)
        self.tmap.reserve(token_cores(text))
        if hits:
            self._pending.append((container, key, text, hits))
            for h in hits:
                self.types.add(h.type)

    def type_counts(self) -> dict[str, int]:
        """Findings collected so far, counted per entity type (no values)."""
        out: dict[str, int] = {}
        for *_, hits in self._pending:
            for h in hits:
                out[h.type] = out.get(h.type, 0) + 1
        return out

    def values(self) -> list[tuple[str, str]]:
        """(type, value) of every finding collected so far, for identifier checks."""
        return [(h.type, h.value) for *_, hits in self._pending for h in hits]

    def apply(self) -> int:
        """Replace every finding by its token (phase 2); returns how many were replaced."""
        replaced = 0
        for container, key, text, hits in self._pending:
            parts: list[str] = []
            last = 0
            for h in hits:
                parts.append(text[last : h.start])
                parts.append(self.tmap.replacement_for(h.value, h.type))
                last = h.end
                replaced += 1
            parts.append(text[last:])
            container[key] = "".join(parts)
        self._pending.clear()
        return replaced


def _non_overlapping(hits: list[_Hit]) -> list[_Hit]:
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out: list[_Hit] = []
    for h in hits:
        if out and h.start < out[-1].end:
            continue
        out.append(h)
    return out
