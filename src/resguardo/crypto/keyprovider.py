"""Key-encryption keys (KEKs) behind one small protocol, so an external KMS can serve them.

A provider never hands out raw KEK bytes: callers give it a data key to ``wrap`` and get
back an opaque blob labelled with the KEK version, and give that back to ``unwrap``. That
is exactly the shape of HashiCorp Vault / OpenBao transit (``encrypt``/``decrypt`` with
``associated_data`` on an ``aes256-gcm96`` key), AWS KMS (``Encrypt``/``Decrypt`` with an
encryption context) and Google Cloud KMS (``encrypt``/``decrypt`` with additional
authenticated data), so a remote provider is a thin adapter and the KEK never leaves the KMS.

Implementations: ``FileKeyProvider`` (``keyfile``), ``EnvKeyProvider`` and
``MemoryKeyProvider`` (here), all on ``keyring.LocalKeyring``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from resguardo.clock import Clock
from resguardo.crypto.envelope import KEY_SIZE
from resguardo.crypto.keyfile import FileKeyProvider
from resguardo.crypto.keyring import (
    KeyEntry,
    KeyState,
    KeyVersion,
    LocalKeyring,
    WrappedKey,
    decode_key,
)
from resguardo.errors import ConfigError

__all__ = [
    "EnvKeyProvider",
    "FileKeyProvider",
    "KeyProvider",
    "KeyState",
    "KeyVersion",
    "MemoryKeyProvider",
    "WrappedKey",
]


@runtime_checkable
class KeyProvider(Protocol):
    """Holds versioned KEKs and wraps/unwraps data keys with them.

    Contract for implementers (a Vault/OpenBao transit adapter, a cloud KMS adapter):

    * ``wrap`` encrypts ``dek`` under the current version and must bind ``aad`` (transit
      ``associated_data``, a KMS encryption context or AAD): a blob unwrapped with other
      ``aad`` must fail. Return the version the KMS actually used (transit's ``vault:vN:``
      prefix) in ``WrappedKey.version``.
    * ``unwrap`` raises ``KeyUnavailable`` when the version is unknown or retired and
      ``InvalidCiphertext`` when the blob or ``aad`` does not authenticate. Never log ``dek``.
    * ``current_version`` is cheap (no I/O); a remote adapter caches it and refreshes it in
      ``versions()``, ``rotate()`` and whenever ``wrap`` reports a newer version.
    * ``rotate`` creates a version and makes it current (transit ``keys/:name/rotate``); the
      previous one becomes decrypt-only. ``retire`` destroys or disables a version (transit:
      raise ``min_decryption_version``, then ``trim``); callers check first that no data
      key is still wrapped under it (``DataKeys.retire_kek``).
    * Network errors surface as ``KeyUnavailable`` so callers fail closed.
    """

    @property
    def current_version(self) -> int:
        """The version ``wrap`` uses now."""
        ...

    async def versions(self) -> list[KeyVersion]:
        """Every known version with its state, oldest first."""
        ...

    async def wrap(self, dek: bytes, aad: bytes) -> WrappedKey:
        """Encrypt a data key under the current KEK, bound to ``aad``."""
        ...

    async def unwrap(self, wrapped: WrappedKey, aad: bytes) -> bytes:
        """Recover a data key; the same ``aad`` as at wrap time is required."""
        ...

    async def rotate(self) -> KeyVersion:
        """Add a version and make it current."""
        ...

    async def retire(self, version: int) -> KeyVersion:
        """Destroy a non-current version so nothing wrapped under it can be unwrapped."""
        ...


class EnvKeyProvider(LocalKeyring):
    """One KEK (version 1) from an environment variable's value, passed in by the caller."""

    def __init__(self, value: str, *, what: str = "The KEK environment variable") -> None:
        super().__init__()
        self._load({1: KeyEntry(KeyState.ACTIVE, None, decode_key(value, what=what))})

    async def rotate(self) -> KeyVersion:
        """Not possible: a single environment value has no room for versions."""
        raise ConfigError("An environment KEK cannot rotate; use a key file or a KMS.")

    async def retire(self, version: int) -> KeyVersion:
        """Not possible: the environment KEK is the only version."""
        raise ConfigError("An environment KEK cannot be retired; use a key file or a KMS.")


class MemoryKeyProvider(LocalKeyring):
    """In-memory KEKs for tests: random or given keys, full rotate/retire life cycle."""

    def __init__(self, keys: Iterable[bytes] | None = None, *, clock: Clock | None = None) -> None:
        super().__init__(clock)
        material = list(keys) if keys is not None else [os.urandom(KEY_SIZE)]
        if not material or any(len(k) != KEY_SIZE for k in material):
            raise ConfigError(f"Keys must be {KEY_SIZE} bytes and at least one is needed.")
        last = len(material)
        entries = {
            i: KeyEntry(KeyState.ACTIVE if i == last else KeyState.DECRYPT_ONLY, None, key)
            for i, key in enumerate(material, start=1)
        }
        self._load(entries)
