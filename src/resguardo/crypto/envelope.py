"""The envelope format: AES-256-GCM ciphertexts that name their key version and bind their place.

Binary layout (all integers big-endian)::

    offset  size  field
    0       1     format byte, 0x01 (``FORMAT_V1``)
    1       4     data-key version (uint32)
    5       12    nonce (96 bits, random per message)
    17      n+16  AES-256-GCM ciphertext || 16-byte tag

The GCM associated data is ``header (bytes 0..4) || AAD.to_bytes()``, where ``AAD``
canonically encodes the table, the record id and the key version, so a ciphertext
moved to another row, another table, or relabelled with another version fails to
decrypt. Every failure raises the one opaque ``InvalidCiphertext``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from resguardo.errors import InputError, InvalidCiphertext

__all__ = [
    "AAD",
    "FORMAT_V1",
    "HEADER_SIZE",
    "KEY_SIZE",
    "NONCE_SIZE",
    "OVERHEAD",
    "NonceSource",
    "canonical_bytes",
    "key_version_of",
    "random_nonce",
    "seal",
    "unseal",
]

FORMAT_V1 = 0x01
KEY_SIZE = 32  # AES-256
NONCE_SIZE = 12  # 96-bit nonces are GCM's native size; other sizes get hashed and lose margin
TAG_SIZE = 16
HEADER_SIZE = 1 + 4
OVERHEAD = HEADER_SIZE + NONCE_SIZE + TAG_SIZE
_MAX_VERSION = 0xFFFFFFFF
_AAD_LABEL = b"resguardo/aad/v1"

NonceSource = Callable[[], bytes]


def random_nonce() -> bytes:
    """A fresh 96-bit nonce from the OS CSPRNG."""
    # Random nonces are safe for up to ~2^32 messages per key; one key per data subject
    # keeps every key far below that bound.
    return os.urandom(NONCE_SIZE)


def canonical_bytes(label: bytes, *fields: str | int) -> bytes:
    """Encode fields unambiguously: length-prefixed UTF-8 strings and uint32 integers."""
    # Length prefixes make ("ab", "c") and ("a", "bc") encode differently; plain joining
    # with a separator would let a crafted id collide with another row's AAD.
    out = bytearray(struct.pack(">H", len(label)) + label)
    for value in fields:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InputError("AAD fields must be strings or integers.")
        if isinstance(value, int):
            _check_version(value)
            out += b"i" + struct.pack(">I", value)
        else:
            raw = value.encode("utf-8")
            out += b"s" + struct.pack(">I", len(raw)) + raw
    return bytes(out)


def _check_version(version: int) -> None:
    if not 0 <= version <= _MAX_VERSION:
        raise InputError("Key versions must fit in 32 bits.")


@dataclass(frozen=True)
class AAD:
    """Where a ciphertext belongs: table, record id and the key version it was sealed with."""

    table: str
    record_id: str
    key_version: int

    def __post_init__(self) -> None:
        if not self.table:
            raise InputError("AAD needs a table name.")
        _check_version(self.key_version)

    def to_bytes(self) -> bytes:
        """The canonical encoding fed to GCM as associated data."""
        return canonical_bytes(_AAD_LABEL, self.table, self.record_id, self.key_version)


def _header(version: int) -> bytes:
    return struct.pack(">BI", FORMAT_V1, version)


def seal(
    key: bytes,
    plaintext: bytes,
    aad: AAD,
    *,
    nonce_source: NonceSource = random_nonce,
) -> bytes:
    """Encrypt ``plaintext`` under ``key`` (version ``aad.key_version``) into one envelope."""
    if len(key) != KEY_SIZE:
        raise InputError("Data keys are 32 bytes.")
    nonce = nonce_source()
    if len(nonce) != NONCE_SIZE:
        raise InputError("Nonces are 12 bytes.")
    header = _header(aad.key_version)
    body = AESGCM(key).encrypt(nonce, plaintext, header + aad.to_bytes())
    return header + nonce + body


def key_version_of(blob: bytes) -> int:
    """The key version an envelope names; ``InvalidCiphertext`` if it is not an envelope."""
    if len(blob) < OVERHEAD or blob[0] != FORMAT_V1:
        # Unknown format, truncated or empty: the same opaque error as a bad tag.
        raise InvalidCiphertext()
    version: int = struct.unpack_from(">I", blob, 1)[0]
    return version


def unseal(key: bytes, blob: bytes, aad: AAD) -> bytes:
    """Decrypt one envelope; any mismatch of key, AAD, version or bytes raises InvalidCiphertext."""
    version = key_version_of(blob)
    if version != aad.key_version or len(key) != KEY_SIZE:
        raise InvalidCiphertext()
    header = blob[:HEADER_SIZE]
    nonce = blob[HEADER_SIZE : HEADER_SIZE + NONCE_SIZE]
    try:
        return AESGCM(key).decrypt(nonce, blob[HEADER_SIZE + NONCE_SIZE :], header + aad.to_bytes())
    except InvalidTag:
        # `from None`: the cause would tell an attacker nothing useful, and we promise opacity.
        raise InvalidCiphertext() from None
