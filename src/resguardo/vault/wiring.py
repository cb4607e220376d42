"""Assemble the vault, rights and retention services from the process's shared parts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from resguardo.audit.events import AuditSink
from resguardo.clock import Clock
from resguardo.crypto.encryptor import Encryptor
from resguardo.policy.schema import Policy
from resguardo.retention.sweeper import RetentionSweeper
from resguardo.rights.holds import LegalHolds
from resguardo.rights.requests import RightsConfig, RightsRequests
from resguardo.store.db import Database
from resguardo.vault.ports import AuditQuery, AuditRecord, VaultCrypto, no_audit_history
from resguardo.vault.records import Vault

__all__ = [
    "STACK_EXTRA", "VaultStack", "build_vault_stack", "db_audit_history", "lazy_vault_stack",
]

# Key in ``Services.extras`` under which the app keeps ``lazy_vault_stack(...)``.
STACK_EXTRA = "vault_stack"


@dataclass(frozen=True)
class VaultStack:
    """The vault area's services, built once per process."""

    vault: Vault
    holds: LegalHolds
    rights: RightsRequests
    sweeper: RetentionSweeper


async def build_vault_stack(
    *,
    db: Database,
    policy: Policy,
    clock: Clock,
    encryptor: Encryptor,
    audit: AuditSink,
    audit_query: AuditQuery = no_audit_history,
    rights: RightsConfig | None = None,
    default_region: str = "ES",
    sweep_batch_size: int = 10_000,
) -> VaultStack:
    """Build the stack (async: the blind-index key is fetched, or created, from the store)."""
    crypto = VaultCrypto(
        cipher=encryptor,
        keys=encryptor.keys,
        blind=await encryptor.blind_indexer(),
        audit=audit,
    )
    vault = Vault(db, policy, crypto, clock, default_region=default_region)
    holds = LegalHolds(db, audit, clock)
    return VaultStack(
        vault=vault,
        holds=holds,
        rights=RightsRequests(vault, holds, clock, audit_query=audit_query, config=rights),
        sweeper=RetentionSweeper(db, policy, crypto, clock, batch_size=sweep_batch_size),
    )


def db_audit_history(db: Database, *, page: int = 500) -> AuditQuery:
    """An AuditQuery over the audit area's stored log (every page, oldest first)."""

    async def query(subject_hash: str) -> list[AuditRecord]:
        from resguardo.audit.query import AuditQuery as Filter
        from resguardo.audit.query import query_events

        out: list[AuditRecord] = []
        after = 0
        while True:
            rows = await query_events(
                db, Filter(subject_hash=subject_hash, after_seq=after, limit=page)
            )
            out.extend(rows)
            if len(rows) < page:
                return out
            after = int(rows[-1]["seq"])

    return query


def lazy_vault_stack(
    build: Callable[[], Awaitable[VaultStack]],
) -> Callable[[], Awaitable[VaultStack]]:
    """A getter that builds the stack on first use, once, inside the server's event loop."""
    stack: VaultStack | None = None
    lock = asyncio.Lock()

    async def get() -> VaultStack:
        nonlocal stack
        if stack is None:
            async with lock:
                if stack is None:
                    stack = await build()
        return stack

    return get
