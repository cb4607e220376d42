"""Encryption at rest: the only package that touches cryptographic primitives.

Key hierarchy: a versioned key-encryption key (KEK) from a ``KeyProvider`` wraps one
random data key per owner (data subject or collection); data keys seal records in the
envelope format of ``envelope``. Other areas call ``Encryptor`` and ``BlindIndexer``.

    enc = encryptor_from_settings(settings, os.environ, db, clock)
    blob = await enc.encrypt(Owner.subject(sid), b"...", table="vault_records", record_id=rid)
    data = await enc.decrypt(Owner.subject(sid), blob, table="vault_records", record_id=rid)
    await enc.keys.shred(Owner.subject(sid))     # crypto-shredding: every blob now unreadable
"""

from __future__ import annotations

from resguardo.crypto.blind import BlindIndexer
from resguardo.crypto.datakeys import BLIND_INDEX_OWNER, DataKeys, Progress, RewrapReport
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.envelope import AAD, NonceSource, random_nonce
from resguardo.crypto.factory import encryptor_from_settings, key_provider_from_settings
from resguardo.crypto.keycache import DataKey, Owner
from resguardo.crypto.keyprovider import (
    EnvKeyProvider,
    FileKeyProvider,
    KeyProvider,
    KeyState,
    KeyVersion,
    MemoryKeyProvider,
    WrappedKey,
)

__all__ = [
    "AAD",
    "BLIND_INDEX_OWNER",
    "BlindIndexer",
    "DataKey",
    "DataKeys",
    "Encryptor",
    "EnvKeyProvider",
    "FileKeyProvider",
    "KeyProvider",
    "KeyState",
    "KeyVersion",
    "MemoryKeyProvider",
    "NonceSource",
    "Owner",
    "Progress",
    "RewrapReport",
    "WrappedKey",
    "encryptor_from_settings",
    "key_provider_from_settings",
    "random_nonce",
]
