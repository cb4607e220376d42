"""A cheap guard that refuses events whose strings look like personal values.

Defence in depth: callers are meant to pass only categories, counts, ids and keyed
hashes; if one slips a raw email, phone, DNI/NIE, card number or IBAN into an event,
the write is refused rather than sealed forever in an append-only log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from resguardo.audit.events import AuditEvent
from resguardo.errors import AuditWriteFailed

__all__ = ["SUBJECT_HASH_RE", "looks_personal", "validate_event"]

_EMAIL = re.compile(r"[^\s@<>()]+@[^\s@<>()]+\.[A-Za-z]{2,}")
# Spanish numbers (9 digits from 6-9) and anything written in international form.
_PHONE = re.compile(
    r"(?<![\w.-])(?:(?:\+|00)\d{1,3}[ .-]?)?[6-9]\d{2}[ .-]?\d{3}[ .-]?\d{3}(?![\w-])"
    r"|(?<![\w])\+\d{1,3}[ .-]?\d(?:[ .-]?\d){6,12}(?!\w)"
)
_DNI = re.compile(r"(?<![\w-])(?:\d{8}|[XYZxyz][ -]?\d{7})[ -]?[A-Za-z](?![\w-])")
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)")
# One cheap search first: every pattern above needs an "@" or a run of 7+ digits.
_MAYBE = re.compile(r"@|\d[\d .-]{5,}\d")
_MAYBE_BYTES = re.compile(rb"@|\d[\d .-]{5,}\d")
SUBJECT_HASH_RE = re.compile(r"^[0-9a-f]{16,64}$")
_MAX_DEPTH = 6
_INVALID = "audit_event_invalid"


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def looks_personal(text: str) -> str | None:
    """The kind of personal value ``text`` seems to contain (``"email"``, ...), or None."""
    if not _MAYBE.search(text):
        return None
    if _EMAIL.search(text):
        return "email"
    if _IBAN.search(text) and any(_iban_ok(m.group()) for m in _IBAN.finditer(text)):
        return "iban"
    for m in _CARD.finditer(text):
        # Luhn keeps long numeric ids from tripping the card rule.
        if _luhn(re.sub(r"\D", "", m.group())):
            return "card"
    if _DNI.search(text):
        return "national_id"
    if _PHONE.search(text):
        return "phone"
    return None


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        raise AuditWriteFailed("Audit event data is nested too deeply.", code=_INVALID)
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise AuditWriteFailed("Audit event keys must be strings.", code=_INVALID)
            yield k
            yield from _strings(v, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, depth + 1)
    elif value is None or isinstance(value, bool | int | float):
        return
    else:
        raise AuditWriteFailed(
            "Audit event data holds a non-JSON value.",
            code=_INVALID,
            details={"type": type(value).__name__},
        )


def validate_event(event: AuditEvent) -> None:
    """Raise AuditWriteFailed (nothing stored) if malformed or a string looks personal."""
    if not event.kind or not event.outcome:
        raise AuditWriteFailed("Audit events need a kind and an outcome.", code=_INVALID)
    for h in event.subject_hashes:
        # Only keyed hashes belong here; a raw identifier would not be lowercase hex.
        if not SUBJECT_HASH_RE.match(h):
            raise AuditWriteFailed("Subject hashes must be hex digests.", code=_INVALID)
    fields = [event.kind, event.outcome, event.actor, event.workflow, event.environment]
    try:
        blob = orjson.dumps([fields, event.data])
    except TypeError:
        raise AuditWriteFailed(
            "Audit event data holds a non-JSON value.", code=_INVALID
        ) from None
    if not _MAYBE_BYTES.search(blob):
        return  # the common case: nothing in the event could match any pattern below
    for text in [f for f in fields if f] + list(_strings(event.data)):
        kind = looks_personal(text)
        if kind is not None:
            # The message names the kind of value only, never the value.
            raise AuditWriteFailed(
                "Audit event refused: it looks like it holds a personal value.",
                code="audit_event_personal_value",
                details={"looks_like": kind},
            )
