"""Fixtures for governance tests: a known policy, a seeded audit history, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from gov_helpers import gov_policy, seeded_events

from loopback import Receiver, webhook_receiver
from resguardo.policy.schema import Policy
from resguardo.testing import MemoryAuditSink


@pytest.fixture
def policy() -> Policy:
    """The governance test policy."""
    return gov_policy()


@pytest.fixture
def history() -> MemoryAuditSink:
    """An in-memory audit sink pre-filled with the seeded history."""
    sink = MemoryAuditSink()
    sink.events.extend(seeded_events())
    return sink


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A loopback webhook receiver on an ephemeral port."""
    async with webhook_receiver("/hook/{token}", "/hook/resume-123") as rec:
        yield rec
