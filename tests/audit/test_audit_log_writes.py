"""DbAuditLog: durable group commit, fail-closed writes, many concurrent writers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from resguardo.audit.events import AuditEvent
from resguardo.audit.log import DbAuditLog
from resguardo.audit.tables import AuditEventRow
from resguardo.audit.verify import verify_log
from resguardo.errors import AuditWriteFailed
from resguardo.store.db import Database
from resguardo.testing import FrozenClock

WRITER = Path(__file__).with_name("audit_writer_proc.py")


async def _count(db: Database) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


async def test_concurrent_records_get_distinct_sequence_numbers(
    database: Database, clock: FrozenClock
) -> None:
    """Hundreds of concurrent callers each get a committed, distinct place in one chain."""
    log = DbAuditLog(database, clock, max_batch=64)
    seqs = await asyncio.gather(
        *(log.record_seq(AuditEvent(kind="t", outcome="ok", data={"i": i})) for i in range(300))
    )
    await log.aclose()
    assert sorted(seqs) == list(range(1, 301))
    assert (await verify_log(database)).ok


async def test_record_returns_only_after_commit(database: Database, clock: FrozenClock) -> None:
    """When ``record`` returns, another connection already sees the event."""
    log = DbAuditLog(database, clock)
    await log.record(AuditEvent(kind="t", outcome="ok"))
    assert await _count(database) == 1
    await log.aclose()


async def test_unwritable_store_fails_closed(tmp_path: Path, clock: FrozenClock) -> None:
    """A store that cannot be written raises AuditWriteFailed and counts the failure."""
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    failures: list[int] = []
    log = DbAuditLog(broken, clock, on_write_failure=failures.append)
    results = await asyncio.gather(
        *(log.record(AuditEvent(kind="t", outcome="ok")) for _ in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(r, AuditWriteFailed) for r in results)
    assert sum(failures) == 3
    await log.aclose()
    await broken.dispose()


async def test_refused_event_is_not_stored(database: Database, clock: FrozenClock) -> None:
    """An event carrying a personal value raises and leaves the log untouched."""
    log = DbAuditLog(database, clock)
    with pytest.raises(AuditWriteFailed):
        await log.record(AuditEvent(kind="t", outcome="ok", data={"to": "ana@example.es"}))
    assert await _count(database) == 0
    await log.aclose()


async def test_closed_log_refuses_writes(database: Database, clock: FrozenClock) -> None:
    """After ``aclose`` nothing is accepted silently."""
    log = DbAuditLog(database, clock)
    await log.aclose()
    with pytest.raises(AuditWriteFailed):
        await log.record(AuditEvent(kind="t", outcome="ok"))


async def test_several_processes_write_one_valid_chain(database: Database) -> None:
    """Three OS processes appending at once leave one gap-free chain that verifies."""
    # Create the head first so the children race on appends, not on set-up.
    await DbAuditLog(database, FrozenClock()).ensure_head()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), database.url, database.schema or "", f"w{i}", "120"]
        )
        for i in range(3)
    ]
    codes = [await asyncio.to_thread(p.wait, 120) for p in procs]
    assert codes == [0, 0, 0]
    report = await verify_log(database)
    assert report.ok, report.findings
    assert report.events == report.last_seq == 360
    async with database.session() as s:
        actors = Counter((await s.execute(select(AuditEventRow.actor))).scalars())
    assert actors == {"w0": 120, "w1": 120, "w2": 120}
