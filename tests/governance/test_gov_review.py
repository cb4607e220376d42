"""Human review (Art. 22): hold, decide, poll, callback to a real server, TTL and shredding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from loopback import Receiver
from resguardo.auth.principal import Principal
from resguardo.crypto.datakeys import DataKeys
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keycache import Owner
from resguardo.crypto.keyprovider import MemoryKeyProvider
from resguardo.errors import Conflict, Forbidden, InputError, KeyUnavailable, NotFound
from resguardo.governance.review import ReviewQueue
from resguardo.governance.tables import ReviewTicketRow
from resguardo.monitor.webhook import AiohttpWebhookTransport
from resguardo.policy.schema import Policy
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink

LEAD = Principal(key_id="key_lead", workflow_id="lead-scorer", environment="live")
OUTPUT = {"decision": "reject", "applicant": "Lucía Fernández", "score": 31}


def _queue(db: Database, policy: Policy, clock: FrozenClock, audit: MemoryAuditSink,
           **kw: object) -> ReviewQueue:
    enc = Encryptor(DataKeys(db, MemoryKeyProvider(clock=clock), clock))
    return ReviewQueue(db, policy, clock, audit, enc, **kw)  # type: ignore[arg-type]


async def test_held_output_is_encrypted_and_approved_output_is_polled(
        database: Database, policy: Policy, clock: FrozenClock) -> None:
    """The row holds ciphertext; after approval the automation polls the original output."""
    audit = MemoryAuditSink()
    q = _queue(database, policy, clock, audit)
    ticket = await q.hold("lead-scorer", LEAD, "req-1", OUTPUT)
    async with database.session() as s:
        row = (await s.scalars(select(ReviewTicketRow))).one()
        assert row.payload is not None and "Lucía".encode() not in row.payload
    waiting = await q.outcome(ticket.id, LEAD)
    assert waiting.ticket.status == "pending" and waiting.output is None
    assert (await q.held_output(ticket.id, "adm_dpo", "dpo"))["applicant"] == "Lucía Fernández"
    clock.advance(timedelta(minutes=42))
    await q.decide(ticket.id, "adm_dpo", "dpo", "approve", "Score is consistent")
    polled = await q.outcome(ticket.id, LEAD)
    assert polled.ticket.status == "approved" and polled.output == OUTPUT
    assert polled.ticket.review_seconds == 42 * 60
    kinds = [(e.kind, e.outcome) for e in audit.events]
    assert kinds == [("review.held", "pending"), ("review.viewed", "success"),
                     ("review.decided", "approved")]
    assert all("Lucía" not in str(e.data) and "consistent" not in str(e.data)
               for e in audit.events)


async def test_change_and_reject_set_what_the_automation_receives(
        sqlite_database: Database, policy: Policy, clock: FrozenClock) -> None:
    """A change replaces the output; a rejection sends none, with the reason."""
    q = _queue(sqlite_database, policy, clock, MemoryAuditSink())
    a = await q.hold("lead-scorer", LEAD, "req-a", OUTPUT)
    b = await q.hold("lead-scorer", LEAD, "req-b", OUTPUT)
    with pytest.raises(InputError):
        await q.decide(a.id, "adm", "dpo", "change", "fix", None)
    changed = await q.decide(a.id, "adm", "admin", "change", "Offer financing",
                             {**OUTPUT, "decision": "accept"})
    assert changed.output is not None and changed.output["decision"] == "accept"
    rejected = await q.decide(b.id, "adm", "dpo", "reject", "Insufficient data")
    assert rejected.output is None and rejected.reason == "Insufficient data"
    with pytest.raises(Conflict):
        await q.decide(b.id, "adm", "dpo", "approve", "again")


async def test_only_reviewing_roles_decide_and_only_the_workflow_polls(
        sqlite_database: Database, policy: Policy, clock: FrozenClock) -> None:
    """An auditor may not decide; another workflow's key cannot see the ticket."""
    q = _queue(sqlite_database, policy, clock, MemoryAuditSink())
    t = await q.hold("lead-scorer", LEAD, "req-1", OUTPUT)
    with pytest.raises(Forbidden):
        await q.decide(t.id, "adm", "auditor", "approve", "ok")
    with pytest.raises(Forbidden):
        await q.held_output(t.id, "adm", "auditor")
    other = Principal(key_id="k2", workflow_id="support-bot", environment="live")
    with pytest.raises(NotFound):
        await q.outcome(t.id, other)
    with pytest.raises(InputError):
        await q.hold("support-bot", other, "r", OUTPUT)  # no human_review on that workflow
    with pytest.raises(Forbidden):
        await q.hold("lead-scorer", other, "r", OUTPUT)


async def test_callback_reaches_a_real_server_with_the_outcome(
        sqlite_database: Database, policy: Policy, clock: FrozenClock,
        receiver: Receiver) -> None:
    """An n8n-style resume URL receives the decision as a POST, once delivered."""
    q = _queue(sqlite_database, policy, clock, MemoryAuditSink(),
               transport=AiohttpWebhookTransport(5))
    t = await q.hold("lead-scorer", LEAD, "req-9", OUTPUT, callback_url=receiver.url)
    result = await q.decide(t.id, "adm", "dpo", "approve", "fine")
    assert result.ticket.callback_status == "delivered"
    [body] = receiver.bodies
    assert body["status"] == "approved" and body["output"] == OUTPUT
    assert body["request_id"] == "req-9" and body["ticket"] == t.id


async def test_failed_callback_is_retried(sqlite_database: Database, policy: Policy,
                                          clock: FrozenClock, receiver: Receiver) -> None:
    """A refused callback is marked failed and redelivered by retry_callbacks."""
    q = _queue(sqlite_database, policy, clock, MemoryAuditSink(),
               transport=AiohttpWebhookTransport(5))
    t = await q.hold("lead-scorer", LEAD, "req-9", OUTPUT, callback_url=receiver.url)
    receiver.status = 503
    assert (await q.decide(t.id, "adm", "dpo", "reject", "no")).ticket.callback_status == \
        "failed"
    receiver.status = 200
    assert await q.retry_callbacks() == 1
    assert (await q.ticket(t.id)).callback_status == "delivered"
    assert [b["status"] for b in receiver.bodies] == ["rejected", "rejected"]


async def test_ttl_expires_pending_tickets_and_shreds_their_key(
        sqlite_database: Database, policy: Policy, clock: FrozenClock) -> None:
    """After the TTL the ticket expires, its ciphertext is dropped and the key shredded."""
    audit = MemoryAuditSink()
    q = _queue(sqlite_database, policy, clock, audit, ttl=timedelta(hours=4),
               keep_outcome=timedelta(hours=1))
    stale = await q.hold("lead-scorer", LEAD, "req-1", OUTPUT)
    done = await q.hold("lead-scorer", LEAD, "req-2", OUTPUT)
    await q.decide(done.id, "adm", "dpo", "approve", "ok")
    clock.advance(timedelta(hours=2))
    assert await q.sweep() == 1  # the decided outcome is past its keep time
    assert (await q.outcome(done.id, LEAD)).output is None
    clock.advance(timedelta(hours=2))
    with pytest.raises(Conflict):
        await q.decide(stale.id, "adm", "dpo", "approve", "late")
    assert await q.sweep() == 1
    assert (await q.ticket(stale.id)).status == "expired"
    with pytest.raises(KeyUnavailable):
        await q.encryptor.keys.get(Owner("review", stale.id))
    assert audit.events[-1].kind == "review.expired"


async def test_stats_track_time_to_review(sqlite_database: Database, policy: Policy,
                                          clock: FrozenClock) -> None:
    """Pending count, oldest age and review times come from the frozen clock."""
    q = _queue(sqlite_database, policy, clock, MemoryAuditSink())
    t1 = await q.hold("lead-scorer", LEAD, "r1", OUTPUT)
    clock.advance(600)
    t2 = await q.hold("lead-scorer", LEAD, "r2", OUTPUT)
    await q.hold("lead-scorer", LEAD, "r3", OUTPUT)
    clock.advance(600)
    await q.decide(t1.id, "adm", "dpo", "approve", "ok")  # 1200 s
    await q.decide(t2.id, "adm", "dpo", "approve", "ok")  # 600 s
    stats = await q.stats()
    assert stats["pending"] == 1 and stats["oldest_pending_seconds"] == 600
    assert stats["median_review_seconds"] == 900 and stats["max_review_seconds"] == 1200
    assert [t.request_id for t in await q.pending()] == ["r3"]
