"""What the vault needs from the crypto and audit areas, as small protocols.

The vault never touches a primitive: it asks an encryptor for envelopes bound to a
subject's data key, a key store to shred that key, and a blind indexer for keyed
hashes of identifiers. Any object with these methods fits (``resguardo.crypto``'s
``Encryptor``, ``DataKeys`` and ``BlindIndexer``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.crypto.keycache import Owner

__all__ = [
    "AuditQuery",
    "AuditRecord",
    "BlindIndex",
    "Cipher",
    "KeyShredder",
    "VaultCrypto",
    "no_audit_history",
    "subject_owner",
]


class Cipher(Protocol):
    """Envelope encryption under the owner's data key, bound to table and record id (AAD)."""

    async def encrypt(
        self, owner: Owner, plaintext: bytes, *, table: str, record_id: str
    ) -> bytes: ...

    async def decrypt(self, owner: Owner, blob: bytes, *, table: str, record_id: str) -> bytes: ...


class KeyShredder(Protocol):
    """The per-subject data-key store; after ``shred`` the owner's data is unreadable."""

    async def shred(self, owner: Owner) -> Any: ...


class BlindIndex(Protocol):
    """Keyed HMAC of a normalized value, so lookups never need plaintext."""

    def index(self, kind: str, normalized_value: str) -> str: ...


def subject_owner(subject_id: str) -> Owner:
    """The data-key owner of a vault subject."""
    return Owner.subject(subject_id)


# The audit area's query API: every stored event about one subject hash, as events or as
# the sealed records ``resguardo.audit.query.query_events`` returns.
AuditRecord = AuditEvent | Mapping[str, Any]
AuditQuery = Callable[[str], Awaitable[Sequence[AuditRecord]]]


async def no_audit_history(_subject_hash: str) -> Sequence[AuditRecord]:
    """An AuditQuery that knows no events (until the audit store is wired)."""
    return ()


@dataclass(frozen=True)
class VaultCrypto:
    """The three crypto services the vault, rights and retention areas share."""

    cipher: Cipher
    keys: KeyShredder
    blind: BlindIndex
    audit: AuditSink
