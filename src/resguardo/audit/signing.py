"""Ed25519-signed checkpoints and retention anchors, and the signing-key file.

A checkpoint says "log ``log_id`` had ``seq`` events and its head hash was ``hash``".
Exported to a witness, it lets ``audit verify`` prove that nothing at or before ``seq``
was rewritten and that the log was not truncated below it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from resguardo.audit.canonical import format_at, parse_at
from resguardo.errors import ConfigError, InputError

__all__ = [
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "CheckpointSigner",
    "anchor_message",
    "key_id_of",
    "load_public_key",
    "load_signing_key",
    "verify_signature",
]

CHECKPOINT_FORMAT = "resguardo-audit-checkpoint/v1"
_MALFORMED = "The checkpoint file is malformed."


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key (hex of its SHA-256, 16 chars)."""
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def anchor_message(log_id: str, anchor_seq: int, anchor_prev: bytes) -> bytes:
    """What a retention anchor signs: 'the log now starts at anchor_seq after anchor_prev'."""
    return f"resguardo-audit-anchor/v1\n{log_id}\n{anchor_seq}\n{anchor_prev.hex()}\n".encode()


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the log's size and head hash at a moment."""

    log_id: str
    seq: int
    hash: bytes
    at: datetime
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        """The exact bytes the signature covers (domain-separated, one field per line)."""
        return (
            f"{CHECKPOINT_FORMAT}\n{self.log_id}\n{self.seq}\n{self.hash.hex()}\n"
            f"{format_at(self.at)}\n"
        ).encode()

    def to_json(self) -> dict[str, Any]:
        """The witness form (JSON-safe)."""
        return {
            "format": CHECKPOINT_FORMAT,
            "log_id": self.log_id,
            "seq": self.seq,
            "hash": self.hash.hex(),
            "at": format_at(self.at),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    def dumps(self) -> bytes:
        """The witness file's content."""
        return orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, obj: Any) -> Checkpoint:
        """Parse a witness checkpoint; raises InputError when it is malformed."""
        try:
            if obj["format"] != CHECKPOINT_FORMAT:
                raise ValueError("format")
            return cls(
                log_id=str(obj["log_id"]),
                seq=int(obj["seq"]),
                hash=bytes.fromhex(obj["hash"]),
                at=parse_at(obj["at"]),
                key_id=str(obj["key_id"]),
                signature=base64.b64decode(obj["signature"], validate=True),
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(_MALFORMED, code="checkpoint_invalid") from None

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        """Read a checkpoint file written by ``dumps``."""
        try:
            return cls.from_json(orjson.loads(path.read_bytes()))
        except orjson.JSONDecodeError:
            raise InputError(_MALFORMED, code="checkpoint_invalid") from None


class CheckpointSigner:
    """Signs checkpoints and anchors with one Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    def checkpoint(self, log_id: str, seq: int, head: bytes, at: datetime) -> Checkpoint:
        """A signed checkpoint for the given head."""
        unsigned = Checkpoint(log_id, seq, head, at, self.key_id, b"")
        return Checkpoint(log_id, seq, head, at, self.key_id, self._key.sign(unsigned.message()))

    def sign(self, message: bytes) -> bytes:
        """Sign arbitrary domain-separated bytes (anchors)."""
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"CheckpointSigner(key_id={self.key_id!r})"


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is valid for ``message``."""
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def load_signing_key(path: Path, *, create: bool = True) -> Ed25519PrivateKey:
    """Load the PEM signing key at ``path``; create it (mode 0600, plus ``.pub``) when missing.

    The key sits in its own 0600 file, apart from the database: an attacker who can
    rewrite the log but not read this file cannot forge a checkpoint.
    """
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError:
            raise ConfigError("The audit signing key file is unreadable.") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError("The audit signing key must be Ed25519.")
        return key
    if not create:
        raise ConfigError("The audit signing key file does not exist.")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never clobber a key another process created a moment ago.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.with_suffix(".pub").write_bytes(pub)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Load a PEM Ed25519 public key (what a witness or auditor pins)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError):
        raise ConfigError("The audit public key file is unreadable.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("The audit public key must be Ed25519.")
    return key
