"""The append path: few statements per batch, a guessed head that is always checked."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, select

from resguardo.audit.connections import HeldConnection
from resguardo.audit.events import AuditEvent
from resguardo.audit.log import HEAD_ID, DbAuditLog
from resguardo.audit.tables import AuditEventRow, AuditHeadRow, AuditSubjectRow
from resguardo.audit.verify import verify_log
from resguardo.store.db import Database
from resguardo.store.schema import create_schema
from resguardo.testing import FrozenClock


def _event(i: int, subject: bool = True) -> AuditEvent:
    return AuditEvent(kind="gateway.request", outcome="masked", actor="key_1", workflow="leads",
                      source_ip="203.0.113.7", subject_hashes=(f"{i:032x}",) if subject else (),
                      data={"categories": {"personal": 1}, "i": i})


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Every SQL statement any engine sends while the block runs (BEGIN/COMMIT excluded)."""
    seen: list[str] = []

    def listen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", listen)


async def test_a_warm_single_event_commit_is_three_statements(
    database: Database, clock: FrozenClock
) -> None:
    """Advance the head, insert the event, insert its subject: nothing read back, no ORM."""
    log = DbAuditLog(database, clock)
    await log.record(_event(0))  # the first append learns where the head is
    with _statements() as seen:
        await log.record(_event(1))
        await log.record(_event(2, subject=False))
    await log.aclose()
    assert seen == ["UPDATE audit_head SET", "INSERT INTO audit_events",
                    "INSERT INTO audit_subjects",
                    "UPDATE audit_head SET", "INSERT INTO audit_events"]
    assert (await verify_log(database)).ok


async def test_a_batch_is_one_executemany_per_table(
    database: Database, clock: FrozenClock
) -> None:
    """Two hundred queued events go as one head update and one insert per table."""
    log = DbAuditLog(database, clock, max_batch=1000)
    await log.record(_event(0))
    with _statements() as seen:
        await asyncio.gather(*(log.record(_event(i)) for i in range(1, 201)))
    await log.aclose()
    assert len(seen) <= 2 * 3  # at most two batches (the first caller may go alone)
    report = await verify_log(database)
    assert report.ok and report.events == 201


async def test_two_logs_on_one_database_correct_each_others_stale_head(
    database: Database, clock: FrozenClock
) -> None:
    """Each log's guess goes stale when the other writes; the chain stays one and gap-free."""
    a, b = DbAuditLog(database, clock), DbAuditLog(database, clock)
    seqs = []
    for i in range(10):
        seqs.append(await (a if i % 2 else b).record_seq(_event(i)))
        seqs.append(await (b if i % 3 else a).record_seq(_event(100 + i)))
    await a.aclose()
    await b.aclose()
    assert sorted(seqs) == list(range(1, 21))
    report = await verify_log(database)
    assert report.ok, report.findings
    async with database.session() as s:
        subjects = len((await s.scalars(select(AuditSubjectRow.seq))).all())
    assert subjects == 20


async def test_a_head_moved_behind_the_logs_back_is_reread_not_overwritten(
    database: Database, clock: FrozenClock
) -> None:
    """If the head row changes under a log (another writer, a prune), the next append locks
    and re-reads it: the new event chains to the real head, not to the cached one."""
    log = DbAuditLog(database, clock)
    await log.record(_event(0))
    other = DbAuditLog(database, clock)
    await other.record(_event(1))
    await other.aclose()
    assert await log.record_seq(_event(2)) == 3
    await log.aclose()
    report = await verify_log(database)
    assert report.ok and report.events == 3


async def test_missing_head_row_is_created_on_first_append(
    database: Database, clock: FrozenClock
) -> None:
    """A database whose head row was never made still takes the first event."""
    log = DbAuditLog(database, clock)
    assert await log.record_seq(_event(0)) == 1
    await log.aclose()
    async with database.session() as s:
        head = (await s.execute(select(AuditHeadRow.seq).where(AuditHeadRow.id == HEAD_ID))).one()
    assert head[0] == 1


async def test_a_failed_batch_leaves_nothing_and_the_next_one_succeeds(
    database: Database, clock: FrozenClock
) -> None:
    """A batch that cannot commit stores nothing; the log then carries on from the true head."""
    log = DbAuditLog(database, clock)
    await log.record(_event(0))
    # A stray row where the next event must go makes that batch's insert fail.
    async with database.session() as s:
        row = (await s.execute(select(AuditEventRow).where(AuditEventRow.seq == 1))).scalar_one()
        s.add(AuditEventRow(seq=2, at=row.at, kind="x", outcome="x", actor=None, workflow=None,
                            categories="", canonical=b"[]", prev_hash=row.hash, hash=row.hash))
    failed = await asyncio.gather(log.record(_event(1)), return_exceptions=True)
    assert isinstance(failed[0], Exception)
    async with database.session() as s:
        await s.execute(delete(AuditEventRow).where(AuditEventRow.seq == 2))
        head = (await s.execute(select(AuditHeadRow.seq))).scalar_one()
    assert head == 1
    assert await log.record_seq(_event(2)) == 2
    await log.aclose()
    assert (await verify_log(database)).ok


async def test_in_memory_sqlite_is_written_through_the_engine(clock: FrozenClock) -> None:
    """An in-memory database cannot take a second connection; the log uses the engine's."""
    db = Database("sqlite+aiosqlite:///:memory:")
    await create_schema(db)
    log = DbAuditLog(db, clock)
    seqs = await asyncio.gather(*(log.record_seq(_event(i)) for i in range(20)))
    await log.aclose()
    assert sorted(seqs) == list(range(1, 21))
    assert (await verify_log(db)).ok
    await db.dispose()


async def test_closing_the_log_stops_its_sqlite_writer_thread(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A file-backed SQLite log writes from one thread of its own, gone after ``aclose``."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    await create_schema(db)

    def writers() -> int:
        return sum(t.name.startswith("audit-sqlite") for t in threading.enumerate())

    before = writers()
    log = DbAuditLog(db, clock)
    await log.record(_event(0))
    assert writers() == before + 1
    await log.aclose()
    assert writers() == before
    assert (await verify_log(db)).events == 1
    await db.dispose()


async def test_held_connection_goes_back_to_the_pool_when_idle(database: Database) -> None:
    """Kept across busy batches; after the idle time the next batch checks out afresh."""
    held = HeldConnection(database.engine, idle=0.05)
    ids: list[int] = []

    def note(conn: Connection) -> None:
        ids.append(id(conn.connection.dbapi_connection))
        conn.execute(select(1))

    await held.run(note)
    await held.run(note)
    assert ids[0] == ids[1] and held.holding
    await asyncio.sleep(0.2)
    assert not held.holding
    await held.run(note)
    await held.close()
    assert not held.holding
