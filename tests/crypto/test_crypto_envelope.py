"""The envelope format: vectors pin the bytes, properties pin round trips, tampering is opaque."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resguardo.crypto.envelope import AAD, OVERHEAD, key_version_of, seal, unseal
from resguardo.errors import InputError, InvalidCiphertext

VECTORS = json.loads((Path(__file__).parent / "vectors" / "envelope.json").read_text("utf-8"))
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def _aad(v: dict[str, Any], version: int | None = None) -> AAD:
    return AAD(v["table"], v["record_id"], v.get("key_version", 1) if version is None else version)


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["description"])
def test_seal_produces_the_vector_bytes_exactly(vector: dict[str, Any]) -> None:
    """Sealing with the vector's key, nonce and AAD yields exactly the recorded envelope."""
    aad = _aad(vector)
    assert aad.to_bytes().hex() == vector["aad"]
    blob = seal(
        bytes.fromhex(vector["key"]),
        bytes.fromhex(vector["plaintext"]),
        aad,
        nonce_source=lambda: bytes.fromhex(vector["nonce"]),
    )
    assert blob.hex() == vector["envelope"]


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["description"])
def test_unseal_recovers_the_vector_plaintext(vector: dict[str, Any]) -> None:
    """A recorded envelope opens to its plaintext and names its key version."""
    blob = bytes.fromhex(vector["envelope"])
    assert key_version_of(blob) == vector["key_version"]
    assert unseal(bytes.fromhex(vector["key"]), blob, _aad(vector)) == bytes.fromhex(
        vector["plaintext"]
    )


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["description"])
def test_invalid_vectors_raise_the_opaque_error(vector: dict[str, Any]) -> None:
    """Every recorded bad envelope fails with InvalidCiphertext and the same message."""
    blob = bytes.fromhex(vector["envelope"])
    with pytest.raises(InvalidCiphertext) as caught:
        unseal(bytes.fromhex(vector["key"]), blob, AAD(vector["table"], vector["record_id"], 1))
    assert str(caught.value) == InvalidCiphertext.default_message


@given(
    plaintext=st.binary(max_size=2048),
    table=st.text(min_size=1, max_size=40),
    record_id=st.text(max_size=80),
    version=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_seal_then_unseal_round_trips_any_bytes_and_aad(
    plaintext: bytes, table: str, record_id: str, version: int
) -> None:
    """Whatever the plaintext and AAD, unseal(seal(x)) == x and the size overhead is fixed."""
    aad = AAD(table, record_id, version)
    blob = seal(KEY, plaintext, aad)
    assert len(blob) == len(plaintext) + OVERHEAD
    assert unseal(KEY, blob, aad) == plaintext


@given(
    a=st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)),
    b=st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)),
)
def test_distinct_aads_have_distinct_encodings(a: tuple[str, str], b: tuple[str, str]) -> None:
    """The canonical AAD encoding is injective: no two places share associated data."""
    if a != b:
        assert AAD(a[0], a[1], 1).to_bytes() != AAD(b[0], b[1], 1).to_bytes()


def _tampered() -> list[Any]:
    aad = AAD("vault_records", "rec-1", 3)
    blob = seal(KEY, b"Ana Garcia, DNI 12345678Z", aad)
    cases: list[tuple[str, bytes, AAD, bytes]] = [
        ("swapped record id", KEY, AAD("vault_records", "rec-2", 3), blob),
        ("swapped table", KEY, AAD("audit", "rec-1", 3), blob),
        ("wrong key", OTHER_KEY, aad, blob),
        ("wrong version in AAD", KEY, AAD("vault_records", "rec-1", 4), blob),
        ("truncated to header", KEY, aad, blob[:5]),
        ("truncated by one byte", KEY, aad, blob[:-1]),
        ("empty", KEY, aad, b""),
        ("unknown format", KEY, aad, b"\x02" + blob[1:]),
        ("appended byte", KEY, aad, blob + b"\x00"),
    ]
    # One flipped bit in every byte: format, version, nonce, ciphertext and tag regions.
    for i in range(len(blob)):
        flipped = bytearray(blob)
        flipped[i] ^= 0x01 << (i % 8)
        cases.append((f"bit flipped in byte {i}", KEY, aad, bytes(flipped)))
    return [pytest.param(key, aad, blob, id=name) for name, key, aad, blob in cases]


@pytest.mark.parametrize(("key", "aad", "blob"), _tampered())
def test_every_tampering_raises_the_same_opaque_error(key: bytes, aad: AAD, blob: bytes) -> None:
    """Swapped AAD, flipped bits, wrong key, truncation: one error class, one message."""
    with pytest.raises(InvalidCiphertext) as caught:
        unseal(key, blob, aad)
    assert str(caught.value) == InvalidCiphertext.default_message
    # No chained cause that could carry detail out through a traceback.
    exc = caught.value
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


def test_seal_rejects_a_short_key_and_a_bad_nonce() -> None:
    """Misuse is an input error, not a silently weaker ciphertext."""
    aad = AAD("t", "r", 1)
    with pytest.raises(InputError):
        seal(b"short", b"x", aad)
    with pytest.raises(InputError):
        seal(KEY, b"x", aad, nonce_source=lambda: b"\x00" * 8)


def test_aad_rejects_empty_table_and_out_of_range_version() -> None:
    """An AAD must name a table and a 32-bit version."""
    with pytest.raises(InputError):
        AAD("", "r", 1)
    with pytest.raises(InputError):
        AAD("t", "r", 2**32)


def test_random_nonces_differ_between_two_seals() -> None:
    """Two seals of the same plaintext in the same place never share bytes."""
    aad = AAD("t", "r", 1)
    assert seal(KEY, b"same", aad) != seal(KEY, b"same", aad)
