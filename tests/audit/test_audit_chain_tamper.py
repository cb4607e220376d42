"""Tampering with the stored log is found and located by ``verify_log``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update

from resguardo.audit.canonical import chain_hash, decode, seal
from resguardo.audit.events import AuditEvent
from resguardo.audit.log import HEAD_ID, DbAuditLog
from resguardo.audit.retention import prune_expired
from resguardo.audit.signing import Checkpoint
from resguardo.audit.tables import AuditCheckpointRow, AuditEventRow, AuditHeadRow
from resguardo.audit.verify import verify_log
from resguardo.audit.witness import write_checkpoint
from resguardo.store.db import Database
from resguardo.testing import FrozenClock

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
T = AuditEventRow


def _event(i: int) -> AuditEvent:
    return AuditEvent(
        kind="gateway.request",
        outcome="masked" if i % 2 else "forwarded",
        actor="key_a",
        workflow="leads",
        data={"categories": {"personal": i}, "provider": "mistral"},
    )


async def _log_with(database: Database, clock: FrozenClock, n: int = 10) -> DbAuditLog:
    log = DbAuditLog(database, clock, KEY)
    for i in range(1, n + 1):
        await log.record(_event(i))
        clock.advance(1)
    await log.aclose()
    return log


async def _row(db: Database, seq: int) -> tuple[bytes, bytes, bytes]:
    async with db.session() as s:
        r = (await s.execute(select(T.canonical, T.prev_hash, T.hash).where(T.seq == seq))).one()
    return bytes(r[0]), bytes(r[1]), bytes(r[2])


def _kinds(report: object) -> list[tuple[str, int | None]]:
    return [(f.kind, f.seq) for f in report.findings]  # type: ignore[attr-defined]


async def test_untouched_log_verifies(database: Database, clock: FrozenClock) -> None:
    """An honest log with a checkpoint verifies clean and reports its size."""
    log = await _log_with(database, clock)
    await log.checkpoint()
    report = await verify_log(database, KEY.public_key())
    assert report.ok, report.findings
    assert (report.events, report.last_seq, report.checkpoints_checked) == (10, 10, 1)


async def test_modified_content_is_located(database: Database, clock: FrozenClock) -> None:
    """Editing an event's sealed bytes is reported as 'modified' at its sequence number."""
    await _log_with(database, clock)
    canonical, _, _ = await _row(database, 5)
    forged = canonical.replace(b'"personal":5', b'"personal":0')
    async with database.session() as s:
        await s.execute(update(T).where(T.seq == 5).values(canonical=forged))
    report = await verify_log(database, KEY.public_key())
    assert _kinds(report) == [("modified", 5)]


async def test_modified_index_column_is_located(database: Database, clock: FrozenClock) -> None:
    """Changing a query column (to hide an event from a filter) is reported as 'modified'."""
    await _log_with(database, clock)
    async with database.session() as s:
        await s.execute(update(T).where(T.seq == 4).values(workflow="other"))
    report = await verify_log(database, KEY.public_key())
    assert _kinds(report) == [("modified", 4)]


async def test_rehashed_rewrite_is_located(database: Database, clock: FrozenClock) -> None:
    """An edit whose hash was recomputed is still located: the successor links to the original."""
    await _log_with(database, clock)
    canonical, prev, _ = await _row(database, 6)
    forged = canonical.replace(b'"forwarded"', b'"blocked"')
    async with database.session() as s:
        await s.execute(
            update(T).where(T.seq == 6).values(canonical=forged, hash=chain_hash(prev, forged))
        )
    report = await verify_log(database, KEY.public_key())
    assert ("modified", 6) in _kinds(report)


async def test_deleted_event_is_located(database: Database, clock: FrozenClock) -> None:
    """Deleting one event is reported as 'deleted' with the missing range."""
    await _log_with(database, clock)
    async with database.session() as s:
        await s.execute(delete(T).where(T.seq == 5))
    report = await verify_log(database, KEY.public_key())
    assert [(f.kind, f.seq, f.end_seq) for f in report.findings] == [("deleted", 5, 5)]


async def test_reordered_events_are_located(database: Database, clock: FrozenClock) -> None:
    """Swapping two events' positions is reported as 'reordered', not as a deletion."""
    await _log_with(database, clock)
    async with database.session() as s:
        await s.execute(update(T).where(T.seq == 4).values(seq=1004))
        await s.execute(update(T).where(T.seq == 5).values(seq=4))
        await s.execute(update(T).where(T.seq == 1004).values(seq=5))
    report = await verify_log(database, KEY.public_key())
    assert _kinds(report) == [("reordered", 4)]


async def test_inserted_event_is_located(database: Database, clock: FrozenClock) -> None:
    """A forged event slipped in (later events renumbered) is 'inserted' at its place."""
    await _log_with(database, clock)
    _, _, h4 = await _row(database, 4)
    canonical, _, _ = await _row(database, 5)
    at = decode(canonical)["at"]
    from resguardo.audit.canonical import parse_at

    forged = seal(5, parse_at(at), AuditEvent(kind="gateway.request", outcome="forwarded"))
    async with database.session() as s:
        await s.execute(update(T).where(T.seq >= 5).values(seq=T.seq + 1000))
        await s.execute(update(T).where(T.seq >= 1005).values(seq=T.seq - 999))
        await s.execute(
            insert(T).values(
                seq=5, at=parse_at(at), kind="gateway.request", outcome="forwarded", actor=None,
                workflow=None, categories="", canonical=forged, prev_hash=h4,
                hash=chain_hash(h4, forged),
            )
        )
    report = await verify_log(database, KEY.public_key())
    assert ("inserted", 5) in _kinds(report)
    assert next(f for f in report.findings if f.kind == "inserted").position == 5


async def test_truncation_after_checkpoint_is_found(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """Cutting the tail (and fixing the head) is caught by the witness's checkpoint file."""
    log = await _log_with(database, clock)
    cp = await log.checkpoint()
    write_checkpoint(cp, tmp_path / "cp.json")
    _, _, h8 = await _row(database, 8)
    async with database.session() as s:
        await s.execute(delete(T).where(T.seq > 8))
        await s.execute(
            update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(seq=8, hash=h8)
        )
        await s.execute(delete(AuditCheckpointRow))  # the attacker also drops stored checkpoints
    clean = await verify_log(database, KEY.public_key())
    assert clean.ok  # without a witness a clean cut is invisible: that is what witnesses are for
    report = await verify_log(
        database, KEY.public_key(), external=[Checkpoint.load(tmp_path / "cp.json")]
    )
    assert [(f.kind, f.seq, f.end_seq) for f in report.findings] == [("truncated", 9, 10)]


async def test_full_rewrite_is_caught_by_checkpoint(database: Database, clock: FrozenClock) -> None:
    """Recomputing every hash after an edit passes the chain but not the signed checkpoint."""
    log = await _log_with(database, clock)
    await log.checkpoint()
    async with database.session() as s:
        rows = (await s.execute(select(T.seq, T.canonical, T.prev_hash).order_by(T.seq))).all()
        prev = bytes(rows[0][2])
        for seq, canonical, _ in rows:
            c = bytes(canonical)
            if seq == 3:
                c = c.replace(b'"personal":3', b'"personal":0')
            digest = chain_hash(prev, c)
            await s.execute(update(T).where(T.seq == seq).values(canonical=c, prev_hash=prev,
                                                                 hash=digest))
            prev = digest
        await s.execute(update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(hash=prev))
    report = await verify_log(database, KEY.public_key())
    assert _kinds(report) == [("rewritten", 10)]


async def test_forged_checkpoint_signature_is_rejected(
    database: Database, clock: FrozenClock
) -> None:
    """A checkpoint signed by another key does not count and is reported."""
    log = await _log_with(database, clock, 3)
    other = DbAuditLog(database, clock, Ed25519PrivateKey.generate())
    await other.checkpoint()
    await log.aclose()
    report = await verify_log(database, KEY.public_key())
    assert _kinds(report) == [("checkpoint", 3)]


async def test_retention_keeps_the_rest_verifiable(database: Database, clock: FrozenClock) -> None:
    """Pruning the expired prefix leaves a signed anchor; the remainder still verifies."""
    log = DbAuditLog(database, clock, KEY)
    for i in range(1, 6):
        await log.record(_event(i))
    clock.advance(86400 * 40)
    for i in range(6, 9):
        await log.record(_event(i))
    result = await prune_expired(log, 30)
    await log.aclose()
    assert (result.deleted, result.anchor_seq) == (5, 6)
    report = await verify_log(database, KEY.public_key())
    assert report.ok, report.findings
    assert (report.first_seq, report.last_seq) == (6, 9)  # 9: the retention event itself


async def test_deleting_below_the_anchor_by_hand_is_found(
    database: Database, clock: FrozenClock
) -> None:
    """Moving the anchor without the signing key is reported."""
    await _log_with(database, clock, 5)
    async with database.session() as s:
        await s.execute(delete(T).where(T.seq < 3))
        await s.execute(update(AuditHeadRow).values(anchor_seq=3))
    report = await verify_log(database, KEY.public_key())
    assert ("anchor", 3) in _kinds(report)


@pytest.mark.parametrize("seq", [1, 10])
async def test_deleting_an_edge_event_is_found(
    database: Database, clock: FrozenClock, seq: int
) -> None:
    """Removing the first or the last event is caught (gap at the start, head ahead of the log)."""
    await _log_with(database, clock)
    async with database.session() as s:
        await s.execute(delete(T).where(T.seq == seq))
    report = await verify_log(database, KEY.public_key())
    assert [(f.kind, f.seq) for f in report.findings] == [
        ("deleted", 1) if seq == 1 else ("truncated", 10)
    ]
