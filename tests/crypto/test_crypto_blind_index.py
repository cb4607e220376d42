"""Blind indexes: pinned by vectors, separated by kind, keyed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import resguardo.crypto as crypto
from resguardo.crypto import BlindIndexer
from resguardo.errors import InputError

VECTORS = json.loads((Path(__file__).parent / "vectors" / "blind_index.json").read_text("utf-8"))
KEY = bytes(range(32))


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: str(v["kind"]))
def test_blind_index_matches_the_vectors(vector: dict[str, Any]) -> None:
    """The index is HMAC-SHA256 under an HKDF per-kind subkey, as the vectors record."""
    indexer = BlindIndexer(bytes.fromhex(vector["key"]))
    assert indexer.index(vector["kind"], vector["value"]) == vector["index"]
    assert indexer.matches(vector["kind"], vector["value"], vector["index"])


@given(value=st.text(max_size=64))
def test_same_value_under_two_kinds_gives_unrelated_indexes(value: str) -> None:
    """An email used as a subject id does not link the two index tables."""
    indexer = BlindIndexer(KEY)
    assert indexer.index("email", value) != indexer.index("subject", value)
    assert indexer.index("email", value) == BlindIndexer(KEY).index("email", value)


def test_another_key_gives_another_index() -> None:
    """Without the key, nobody can recompute an index from a guessed value."""
    assert BlindIndexer(KEY).index("email", "a@b.es") != BlindIndexer(bytes(32)).index(
        "email", "a@b.es"
    )


def test_bad_kinds_and_keys_are_rejected_and_repr_hides_the_key() -> None:
    """Kinds are identifiers, keys are 32 bytes, and the repr shows no key."""
    with pytest.raises(InputError):
        BlindIndexer(KEY).index("Bad Kind", "x")
    with pytest.raises(InputError):
        BlindIndexer(b"short")
    assert KEY.hex() not in repr(BlindIndexer(KEY))


def test_public_api_lists_only_names_that_exist() -> None:
    """`resguardo.crypto.__all__` is the public surface and every name in it resolves."""
    assert sorted(crypto.__all__) == sorted(set(crypto.__all__))
    for name in crypto.__all__:
        assert getattr(crypto, name) is not None
