"""The retention sweep, with a frozen clock: periods, holds, blocking, shredding, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from resguardo.auth.principal import Principal
from resguardo.retention import sweeper as sweeper_module
from resguardo.retention.loop import retention_loop, run_retention
from resguardo.retention.rules import sweep_rules
from resguardo.rights.erasure import erase
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.access import operator_grant
from resguardo.vault.tables import VaultRecordRow, VaultSubjectRow
from resguardo.vault.testkit import sample_vault_policy
from resguardo.vault.wiring import VaultStack

LEADS = Principal("key_leads", "lead-qualifier", "live")
VOICE = Principal("key_voice", "voice-agent", "live")


async def _count(database: Database, model: type = VaultRecordRow) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _seed(stack: VaultStack) -> dict[str, str]:
    """Three voice-agent calls and one operator call for Ana, a lead each for Ana and Bob."""
    voice = await stack.vault.authorize(VOICE, "calls", "write")
    leads = await stack.vault.authorize(LEADS, "leads", "write")
    operator = operator_grant(stack.vault.policy, "calls", environment="live", actor="admin:ops")
    for i in range(3):
        await stack.vault.create(voice, {"phone": "612345678"}, {"transcript": f"call {i}"})
    await stack.vault.create(operator, {"phone": "612345678"}, {"transcript": "by hand"})
    ana = await stack.vault.create(leads, {"phone": "612345678"}, {"name": "Ana"})
    bob = await stack.vault.create(voice, {"phone": "699000111"}, {"transcript": "bob"})
    return {"ana": ana.subject_id, "bob": bob.subject_id}


def test_rules_take_the_shortest_of_collection_category_and_workflow_periods() -> None:
    """calls: 90 days capped to 30 by its category, 7 for the voice agent's own records."""
    rules = {(r.collection, r.workflow): (r.days, r.action, r.outer_days)
             for r in sweep_rules(sample_vault_policy())}
    assert rules[("calls", None)] == (30, "shred", None)
    assert rules[("calls", "voice-agent")] == (7, "shred", 30)
    assert rules[("leads", None)] == (365, "shred", None)


async def test_dry_run_reports_what_expired_and_deletes_nothing(
    stack: VaultStack, clock: FrozenClock, database: Database
) -> None:
    """Counts per rule, no deletion, no audit event."""
    await _seed(stack)
    clock.advance(timedelta(days=8))
    report = (await run_retention(stack, dry_run=True)).sweep
    by_rule = {o.rule.label: o.expired for o in report.outcomes}
    assert by_rule == {"leads": 0, "calls": 0, "calls@voice-agent": 4, "invoices": 0}
    assert await _count(database) == 6


async def test_sweep_deletes_expired_records_in_batches_with_one_event_each(
    stack: VaultStack, clock: FrozenClock, database: Database, audit: MemoryAuditSink
) -> None:
    """The voice agent's week-old calls go in batches; other records stay until their time."""
    await _seed(stack)
    clock.advance(timedelta(days=8))
    seen: list[tuple[int, int]] = []
    run = await run_retention(stack, progress=lambda d, t: seen.append((d, t)))
    assert run.sweep.deleted == 4 and seen[-1] == (4, 4)
    events = [e for e in audit.events if e.kind == "retention.deleted"]
    assert [e.data["count"] for e in events] == [2, 2]
    assert all(len(e.data["ids_sha256"]) == 64 and not e.subject_hashes for e in events)
    assert await _count(database) == 2  # the operator's call and Ana's lead
    clock.advance(timedelta(days=30))
    assert (await run_retention(stack)).sweep.deleted == 1


async def test_shred_action_forgets_subjects_left_without_records(
    stack: VaultStack, clock: FrozenClock, database: Database
) -> None:
    """Bob had only a call: his key is shredded and his subject row removed; Ana stays."""
    await _seed(stack)
    clock.advance(timedelta(days=8))
    run = await run_retention(stack)
    assert run.sweep.subjects_shredded == 1
    assert await _count(database, VaultSubjectRow) == 1


async def test_legal_holds_and_blocked_subjects_are_skipped(
    stack: VaultStack, clock: FrozenClock, database: Database
) -> None:
    """A held subject, a held collection and a subject blocked for erasure keep their records."""
    ids = await _seed(stack)
    await stack.holds.place(environment="live", subject_id=ids["ana"],
                            reason="Claim filed by the customer", actor="admin:legal")
    clock.advance(timedelta(days=8))
    report = (await run_retention(stack)).sweep
    assert report.deleted == 1  # only Bob's call
    assert {o.rule.label: o.held for o in report.outcomes}["calls@voice-agent"] == 3

    hold = await stack.holds.place(environment="live", collection="calls",
                                   reason="Inspection of all recorded calls", actor="admin:legal")
    clock.advance(timedelta(days=400))
    assert (await run_retention(stack)).sweep.deleted == 0
    await stack.holds.release(hold, actor="admin:legal")
    for active in await stack.holds.active():
        await stack.holds.release(active.id, actor="admin:legal")

    req = await stack.rights.open("erasure", "phone", "612345678", environment="live",
                                  actor="admin:dpo")
    await stack.rights.verify(req.id, method="DNI at the desk", actor="admin:dpo")
    await erase(stack.rights, req.id, actor="admin:dpo")
    run = await run_retention(stack)
    assert run.sweep.deleted == 0 and run.erasures is not None
    assert run.erasures.erased_subjects == 0  # still inside its blocking period
    clock.advance(timedelta(days=31))
    run = await run_retention(stack)
    assert run.erasures is not None and run.erasures.erased_subjects == 1
    assert await _count(database) == 0


async def test_loop_runs_a_pass_per_interval_and_survives_a_failure(
    stack: VaultStack, clock: FrozenClock, database: Database
) -> None:
    """The scheduled task sweeps each time; a failing pass does not stop the next."""
    await _seed(stack)
    clock.advance(timedelta(days=8))
    calls = {"n": 0}

    async def get_stack() -> VaultStack:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("store down")
        return stack

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    await retention_loop(get_stack, interval_seconds=60, sleep=sleep, max_runs=2)
    assert sleeps == [60] and await _count(database) == 2


async def test_many_excluded_subjects_are_checked_in_sql(
    stack: VaultStack, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the inline limit, holds and blocking are checked by a correlated subquery."""
    monkeypatch.setattr(sweeper_module, "_INLINE_EXCLUSIONS", 0)
    ids = await _seed(stack)
    await stack.holds.place(environment="live", subject_id=ids["ana"],
                            reason="Claim filed by the customer", actor="admin:legal")
    clock.advance(timedelta(days=8))
    assert (await run_retention(stack)).sweep.deleted == 1  # only Bob's call
