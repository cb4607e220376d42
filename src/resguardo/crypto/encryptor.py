"""``Encryptor``: the one call other areas make to encrypt a field for an owner."""

from __future__ import annotations

from resguardo.crypto.blind import BlindIndexer
from resguardo.crypto.datakeys import BLIND_INDEX_OWNER, DataKeys
from resguardo.crypto.envelope import AAD, NonceSource, key_version_of, random_nonce, seal, unseal
from resguardo.crypto.keycache import Owner

__all__ = ["Encryptor"]


class Encryptor:
    """Envelope encryption with one data key per owner, bound to table and record id."""

    def __init__(self, keys: DataKeys, *, nonce_source: NonceSource = random_nonce) -> None:
        self.keys = keys
        # Injectable only so test vectors can pin the bytes; production keeps the CSPRNG.
        self._nonce_source = nonce_source
        self._blind: BlindIndexer | None = None

    async def encrypt(self, owner: Owner, plaintext: bytes, *, table: str, record_id: str) -> bytes:
        """Seal ``plaintext`` under the owner's current data key for one table row."""
        key = await self.keys.get_or_create(owner)
        aad = AAD(table, record_id, key.version)
        return seal(key.key, plaintext, aad, nonce_source=self._nonce_source)

    async def decrypt(self, owner: Owner, blob: bytes, *, table: str, record_id: str) -> bytes:
        """Open an envelope; any mismatch is InvalidCiphertext, a shredded key KeyUnavailable."""
        version = key_version_of(blob)  # rejects non-envelopes before any key lookup
        key = await self.keys.get(owner, version)
        return unseal(key.key, blob, AAD(table, record_id, version))

    async def blind_indexer(self) -> BlindIndexer:
        """The process-wide blind indexer; its key is stable across KEK rotations."""
        if self._blind is None:
            root = await self.keys.get_or_create(BLIND_INDEX_OWNER)
            self._blind = BlindIndexer(root.key)
        return self._blind
