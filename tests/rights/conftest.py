"""Fixtures for the rights tests: a vault stack whose audit history is the in-memory sink."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from resguardo.rights.requests import RightsConfig
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.ports import AuditRecord
from resguardo.vault.testkit import memory_vault_stack
from resguardo.vault.wiring import VaultStack


@pytest.fixture
def audit() -> MemoryAuditSink:
    """Audit events kept in memory."""
    return MemoryAuditSink()


@pytest.fixture
async def stack(database: Database, clock: FrozenClock, audit: MemoryAuditSink) -> VaultStack:
    """A stack with a 30-day blocking period, its audit history read from the memory sink."""

    async def history(subject_hash: str) -> Sequence[AuditRecord]:
        return [e for e in audit.events if subject_hash in e.subject_hashes]

    return await memory_vault_stack(
        database, clock, audit, audit_query=history,
        rights=RightsConfig(blocking_period=timedelta(days=30)),
    )
