"""Local KEKs held in process memory, and the value objects every key provider speaks.

``LocalKeyring`` wraps a data key with AES-256-GCM under the KEK version, binding both
the version and the caller's AAD; the env, memory and file providers build on it.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from resguardo.clock import Clock, SystemClock
from resguardo.crypto.envelope import KEY_SIZE, NONCE_SIZE, canonical_bytes
from resguardo.errors import ConfigError, Conflict, InvalidCiphertext, KeyUnavailable, NotFound

__all__ = [
    "KeyEntry",
    "KeyState",
    "KeyVersion",
    "LocalKeyring",
    "WrappedKey",
    "decode_key",
]

_WRAP_FORMAT = 0x01
_WRAP_LABEL = b"resguardo/kek-wrap/v1"

class KeyState(StrEnum):
    """Life cycle of one KEK version."""

    ACTIVE = "active"  # wraps new data keys and unwraps old ones; exactly one version
    DECRYPT_ONLY = "decrypt-only"  # unwraps until its data keys are re-wrapped
    RETIRED = "retired"  # key material destroyed; nothing wrapped under it can be read


@dataclass(frozen=True)
class KeyVersion:
    """Metadata of one KEK version; never the key itself."""

    version: int
    state: KeyState
    created_at: datetime | None = None


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted by KEK ``version``; ``blob`` is opaque to all but the provider."""

    version: int
    blob: bytes = field(repr=False)

def decode_key(value: str, *, what: str) -> bytes:
    """Decode a base64 32-byte key; the error names ``what``, never the value."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{what} is not valid base64.") from None
    if len(raw) != KEY_SIZE:
        raise ConfigError(f"{what} must decode to {KEY_SIZE} bytes.")
    return raw


@dataclass
class KeyEntry:
    """One version as a local keyring holds it (for ``keyfile``; not part of the public API)."""

    state: KeyState
    created_at: datetime | None
    key: bytes | None = field(repr=False)  # None once retired


class LocalKeyring:
    """KEKs held in process memory; wraps with AES-256-GCM binding version and AAD."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._entries: dict[int, KeyEntry] = {}

    # -- state ----------------------------------------------------------------------------

    def _load(self, entries: Mapping[int, KeyEntry]) -> None:
        active = [v for v, e in entries.items() if e.state is KeyState.ACTIVE]
        if len(active) != 1:
            raise ConfigError("A key set must have exactly one active version.")
        for entry in entries.values():
            if (entry.key is None) != (entry.state is KeyState.RETIRED):
                raise ConfigError("Only retired key versions may lack key material.")
        self._entries = dict(entries)

    def _refresh(self) -> None:
        """Hook for providers whose keys can change behind the process (the key file)."""

    def _persist(self) -> None:
        """Hook for providers that store their keys (the key file)."""

    @property
    def current_version(self) -> int:
        """The active version."""
        self._refresh()
        return next(v for v, e in self._entries.items() if e.state is KeyState.ACTIVE)

    async def versions(self) -> list[KeyVersion]:
        """Every version, oldest first, without key material."""
        self._refresh()
        return [KeyVersion(v, e.state, e.created_at) for v, e in sorted(self._entries.items())]

    # -- wrapping -------------------------------------------------------------------------

    @staticmethod
    def _associated(version: int, aad: bytes) -> bytes:
        # The version is authenticated too, so relabelling a blob with another version fails.
        return canonical_bytes(_WRAP_LABEL, version) + aad

    async def wrap(self, dek: bytes, aad: bytes) -> WrappedKey:
        """Encrypt ``dek`` under the active version."""
        version = self.current_version
        entry = self._entries[version]
        if entry.key is None:  # unreachable after _load's checks; kept to fail closed
            raise KeyUnavailable()
        nonce = os.urandom(NONCE_SIZE)
        body = AESGCM(entry.key).encrypt(nonce, dek, self._associated(version, aad))
        return WrappedKey(version, bytes([_WRAP_FORMAT]) + nonce + body)

    async def unwrap(self, wrapped: WrappedKey, aad: bytes) -> bytes:
        """Decrypt a wrapped data key; retired or unknown versions raise KeyUnavailable."""
        entry = self._entries.get(wrapped.version)
        if entry is None or entry.key is None:
            self._refresh()  # another process may have rotated the key file
            entry = self._entries.get(wrapped.version)
        if entry is None or entry.key is None:
            raise KeyUnavailable(details={"kek_version": wrapped.version})
        blob = wrapped.blob
        if len(blob) < 1 + NONCE_SIZE + 16 or blob[0] != _WRAP_FORMAT:
            raise InvalidCiphertext()
        try:
            return AESGCM(entry.key).decrypt(
                blob[1 : 1 + NONCE_SIZE], blob[1 + NONCE_SIZE :],
                self._associated(wrapped.version, aad),
            )
        except InvalidTag:
            raise InvalidCiphertext() from None

    # -- life cycle -----------------------------------------------------------------------

    async def rotate(self) -> KeyVersion:
        """Add a fresh random version, make it active, demote the old one to decrypt-only."""
        self._refresh()
        new = max(self._entries, default=0) + 1
        for entry in self._entries.values():
            if entry.state is KeyState.ACTIVE:
                entry.state = KeyState.DECRYPT_ONLY
        now = self._clock.now()
        self._entries[new] = KeyEntry(KeyState.ACTIVE, now, os.urandom(KEY_SIZE))
        self._persist()
        return KeyVersion(new, KeyState.ACTIVE, now)

    async def retire(self, version: int) -> KeyVersion:
        """Drop a version's key material for good; the active version cannot be retired."""
        self._refresh()
        entry = self._entries.get(version)
        if entry is None:
            raise NotFound("No such key version.", details={"kek_version": version})
        if entry.state is KeyState.ACTIVE:
            raise Conflict("The active key version cannot be retired; rotate first.")
        # Destroying (not just flagging) the material is what makes copies of data keys
        # wrapped under it in old backups or dead database tuples useless.
        entry.state, entry.key = KeyState.RETIRED, None
        self._persist()
        return KeyVersion(version, entry.state, entry.created_at)
