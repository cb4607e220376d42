"""The event guard refuses personal values and accepts the ids, counts and hashes events hold."""

from __future__ import annotations

import pytest

from resguardo.audit.events import AuditEvent
from resguardo.audit.guard import looks_personal, validate_event
from resguardo.audit.hashing import SubjectHasher
from resguardo.errors import AuditWriteFailed

PERSONAL = [
    ("ana.garcia@example.es", "email"),
    ("contacto: ANA@EJEMPLO.COM", "email"),
    ("612 345 678", "phone"),
    ("+34 612345678", "phone"),
    ("+44 20 7946 0958", "phone"),
    ("12345678Z", "national_id"),
    ("X1234567L", "national_id"),
    ("4111 1111 1111 1111", "card"),
    ("5500-0000-0000-0004", "card"),
    ("ES91 2100 0418 4502 0005 1332", "iban"),
    ("DE89370400440532013000", "iban"),
]

SAFE = [
    "gateway.request",
    "key_01HZX3K9Q2ZB7YF4W8N2V6M5TA",
    "2026-01-15T09:00:00.000000+00:00",
    "a3f9c2d4e5b6a7980123456789abcdef",
    "mistral-large-2411",
    "1234567890123",  # a long numeric id that fails Luhn
    "ES_DNI",
    "personal",
    "10.0.0.0/24",
]


@pytest.mark.parametrize(("text", "kind"), PERSONAL)
def test_personal_values_are_recognized(text: str, kind: str) -> None:
    """Each table row is recognized as the kind of value it is."""
    assert looks_personal(text) == kind


@pytest.mark.parametrize("text", SAFE)
def test_ids_counts_and_hashes_pass(text: str) -> None:
    """The strings events legitimately hold are not mistaken for personal values."""
    assert looks_personal(text) is None


def test_event_with_nested_email_is_refused_without_echoing_it() -> None:
    """A personal value deep in ``data`` refuses the event; the error names only the kind."""
    event = AuditEvent(kind="x", outcome="y", data={"a": [{"note": "ana@example.es"}]})
    with pytest.raises(AuditWriteFailed) as info:
        validate_event(event)
    assert "ana" not in str(info.value) and info.value.details == {"looks_like": "email"}


def test_raw_identifier_in_subject_hashes_is_refused() -> None:
    """Only hex digests may stand for subjects."""
    with pytest.raises(AuditWriteFailed):
        validate_event(AuditEvent(kind="x", outcome="y", subject_hashes=("Ana Garcia",)))


def test_non_json_data_is_refused() -> None:
    """Data must be plain JSON values."""
    with pytest.raises(AuditWriteFailed):
        validate_event(AuditEvent(kind="x", outcome="y", data={"v": object()}))


def test_subject_hasher_is_keyed_and_normalizes() -> None:
    """Same subject, different spelling: same hash; different key: different hash."""
    h = SubjectHasher(b"k" * 32)
    assert h("Ana@Example.ES ") == h("ana@example.es")
    assert h("+34 612 34 56 78", "phone") == h("+34612345678", "phone")
    assert SubjectHasher(b"j" * 32)("ana@example.es") != h("ana@example.es")
    assert looks_personal(h("ana@example.es")) is None
