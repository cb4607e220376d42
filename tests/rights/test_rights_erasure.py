"""Erasure: block (LOPDGDD Art. 32), break-glass only, then crypto-shred; legal holds stop it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from resguardo.auth.principal import Principal
from resguardo.errors import Conflict, Forbidden, InputError, KeyUnavailable
from resguardo.rights.erasure import complete_due_erasures, erase
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.ports import subject_owner
from resguardo.vault.tables import VaultIdentifierRow, VaultRecordRow, VaultSubjectRow
from resguardo.vault.wiring import VaultStack

LEADS = Principal("key_leads", "lead-qualifier", "live")
ANA = {"email": "ana.garcia@example.es", "phone": "612345678"}


async def _verified_erasure(stack: VaultStack) -> tuple[str, str, str]:
    grant = await stack.vault.authorize(LEADS, "leads", "write")
    record = await stack.vault.create(grant, ANA, {"name": "Ana García", "score": 3})
    await stack.vault.create(grant, {"email": "otra@example.es"}, {"name": "Otra"})
    req = await stack.rights.open("erasure", "email", ANA["email"],
                                  environment="live", actor="admin:dpo")
    await stack.rights.verify(req.id, method="in person, DNI shown", actor="admin:dpo")
    return req.id, record.id, record.subject_id


async def _counts(database: Database) -> tuple[int, int, int]:
    async with database.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(VaultRecordRow)) or 0),
            int(await session.scalar(select(func.count()).select_from(VaultIdentifierRow)) or 0),
            int(await session.scalar(select(func.count()).select_from(VaultSubjectRow)) or 0),
        )


async def test_erasure_blocks_first_and_shreds_after_the_blocking_period(
    stack: VaultStack, clock: FrozenClock, database: Database
) -> None:
    """Blocked data is unreadable through the API; after 30 days key and rows are gone."""
    request_id, record_id, subject_id = await _verified_erasure(stack)
    async with database.session() as session:
        blob = (await session.get(VaultRecordRow, record_id)).ciphertext  # type: ignore[union-attr]
    blocked = await erase(stack.rights, request_id, actor="admin:dpo")
    assert blocked.status == "blocked" and blocked.block_until == clock.now() + timedelta(days=30)
    grant = await stack.vault.authorize(LEADS, "leads", "read")
    with pytest.raises(Forbidden) as info:
        await stack.vault.read(grant, record_id)
    assert info.value.code == "subject_blocked"
    clock.advance(timedelta(days=29))
    assert (await complete_due_erasures(stack.rights)).erased_subjects == 0
    clock.advance(timedelta(days=2))
    outcome = await complete_due_erasures(stack.rights)
    assert (outcome.erased_subjects, outcome.deleted_records) == (1, 1)
    assert (await stack.rights.get(request_id)).status == "completed"
    assert await _counts(database) == (1, 1, 1)  # only the other subject is left
    with pytest.raises(KeyUnavailable):  # a copy of the ciphertext (a backup) is now noise
        await stack.vault.crypto.cipher.decrypt(
            subject_owner(subject_id), blob, table="vault_records", record_id=record_id
        )


async def test_break_glass_reads_blocked_data_only_with_a_reason_and_is_audited(
    stack: VaultStack, audit: MemoryAuditSink
) -> None:
    """During blocking an operator can reach the data for a stated reason; it is recorded."""
    request_id, _record_id, subject_id = await _verified_erasure(stack)
    await erase(stack.rights, request_id, actor="admin:dpo")
    with pytest.raises(InputError):
        await stack.vault.break_glass(actor="admin:dpo", environment="live",
                                      subject_id=subject_id, reason="")
    records = await stack.vault.break_glass(
        actor="admin:dpo", environment="live", subject_id=subject_id,
        reason="Court order 123/2026 from Juzgado n.4",
    )
    assert [r.fields["name"] for r in records] == ["Ana García"]
    event = audit.events[-1]
    assert event.kind == "vault.break_glass" and event.actor == "admin:dpo"
    assert event.data["reason"] == "Court order 123/2026 from Juzgado n.4"


async def test_legal_hold_stops_erasure_until_released(
    stack: VaultStack, clock: FrozenClock, audit: MemoryAuditSink, database: Database
) -> None:
    """A held subject is not blocked nor shredded; after release the erasure proceeds."""
    request_id, _record_id, subject_id = await _verified_erasure(stack)
    hold = await stack.holds.place(
        environment="live", subject_id=subject_id, reason="Pending lawsuit 77/2026",
        actor="admin:legal", subject_hash=stack.vault.subjects.subject_hash(subject_id),
    )
    held = await erase(stack.rights, request_id, actor="admin:dpo")
    assert (held.status, held.outcome) == ("verified", "legal_hold")
    assert "rights.held" in [e.kind for e in audit.events]
    assert [h.reason for h in await stack.holds.active()] == ["Pending lawsuit 77/2026"]
    await stack.holds.release(hold, actor="admin:legal")
    with pytest.raises(Conflict):
        await stack.holds.release(hold, actor="admin:legal")
    assert (await erase(stack.rights, request_id, actor="admin:dpo")).status == "blocked"
    clock.advance(timedelta(days=31))
    assert (await complete_due_erasures(stack.rights)).erased_subjects == 1
    assert await _counts(database) == (1, 1, 1)


async def test_hold_placed_during_blocking_keeps_the_data(
    stack: VaultStack, clock: FrozenClock
) -> None:
    """A hold on the collection, placed while blocked, stops the shredding."""
    request_id, _record_id, _subject_id = await _verified_erasure(stack)
    await erase(stack.rights, request_id, actor="admin:dpo")
    await stack.holds.place(environment="live", collection="leads",
                            reason="Tax inspection of 2025 leads", actor="admin:legal")
    clock.advance(timedelta(days=31))
    outcome = await complete_due_erasures(stack.rights)
    assert (outcome.erased_subjects, outcome.held) == (0, 1)
    assert (await stack.rights.get(request_id)).outcome == "legal_hold"


async def test_every_erasure_step_is_audited_with_the_subject_hash_only(
    stack: VaultStack, clock: FrozenClock, audit: MemoryAuditSink
) -> None:
    """Opened, verified, blocked and erased each leave an event naming only a hash."""
    request_id, _record_id, subject_id = await _verified_erasure(stack)
    await erase(stack.rights, request_id, actor="admin:dpo")
    clock.advance(timedelta(days=31))
    await complete_due_erasures(stack.rights)
    steps = [e for e in audit.events if e.kind.startswith("rights.")]
    assert [e.kind for e in steps] == [
        "rights.opened", "rights.verified", "rights.blocked", "rights.erased"
    ]
    digest = stack.vault.subjects.subject_hash(subject_id)
    assert all(e.subject_hashes == (digest,) for e in steps)
    dump = repr(audit.events)
    assert all(v not in dump for v in ("ana.garcia", "612345678", "Ana García"))
