"""Identifier normalization: one person, one blind index, however the value is typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resguardo.errors import InputError
from resguardo.vault.identifiers import normalize_identifier

SAME = [
    ("email", ["Ana.Garcia@Example.ES ", "ana.garcia@example.es"], "ana.garcia@example.es"),
    ("phone", ["612 345 678", "+34 612-345-678", "0034612345678"], "+34612345678"),
    ("national_id", ["12345678-z", "12.345.678 Z", "12345678Z"], "12345678Z"),
    ("national_id", ["x-1234567-l", "X1234567L"], "X1234567L"),
    ("crm_id", [" HS-00042 "], "HS-00042"),
]


@pytest.mark.parametrize(("kind", "inputs", "expected"), SAME)
def test_variants_of_one_identifier_normalize_to_the_same_value(
    kind: str, inputs: list[str], expected: str
) -> None:
    """Case, spacing, separators and phone formats do not split a subject in two."""
    assert {normalize_identifier(kind, v)[1] for v in inputs} == {expected}


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not-an-email"), ("phone", "call me maybe"), ("email", "  "), ("iban", "ES91")],
)
def test_unusable_identifier_is_refused_without_echoing_the_value(kind: str, value: str) -> None:
    """The error names the kind, never the value."""
    with pytest.raises(InputError) as info:
        normalize_identifier(kind, value)
    if value.strip():
        assert value.strip() not in info.value.message
        assert value.strip() not in str(info.value.details)


@given(
    local=st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True),
    domain=st.from_regex(r"[A-Za-z0-9-]{1,15}\.[A-Za-z]{2,6}", fullmatch=True),
    pad=st.sampled_from(["", " ", "  \t"]),
)
def test_email_normalization_is_idempotent_and_case_blind(
    local: str, domain: str, pad: str
) -> None:
    """normalize(normalize(x)) == normalize(x), and case or padding never matter."""
    _, once = normalize_identifier("email", f"{pad}{local}@{domain}{pad}")
    assert normalize_identifier("email", once)[1] == once
    assert normalize_identifier("email", f"{local.upper()}@{domain.upper()}")[1] == once
