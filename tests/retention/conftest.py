"""Fixtures for the retention tests: a stack with a tiny sweep batch, so batching is exercised."""

from __future__ import annotations

from datetime import timedelta

import pytest

from resguardo.rights.requests import RightsConfig
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.testkit import memory_vault_stack
from resguardo.vault.wiring import VaultStack


@pytest.fixture
def audit() -> MemoryAuditSink:
    """Audit events kept in memory."""
    return MemoryAuditSink()


@pytest.fixture
async def stack(database: Database, clock: FrozenClock, audit: MemoryAuditSink) -> VaultStack:
    """A stack sweeping in batches of two records."""
    return await memory_vault_stack(
        database, clock, audit, sweep_batch_size=2,
        rights=RightsConfig(blocking_period=timedelta(days=30)),
    )
