"""Vault benchmarks: erasure of a subject with 10,000 records; retention sweep of 1,000,000.

Targets (issue 7): erasure <= 1 s; sweep >= 20,000 records/s. Runs on SQLite (a temp
file) and, when reachable, PostgreSQL (RESGUARDO_TEST_PG_URL or the local test database,
in a throw-away schema). Writes the "vault" section of bench/RESULTS.md.

    .venv/bin/python bench/bench_vault.py [--records 1000000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _results
from _db import close_database, open_database

from resguardo.audit.log import DbAuditLog
from resguardo.auth.principal import Principal
from resguardo.rights.erasure import erase
from resguardo.rights.requests import RightsConfig
from resguardo.store.db import Database
from resguardo.testing import FrozenClock
from resguardo.vault.ports import subject_owner
from resguardo.vault.tables import RECORDS_TABLE, VaultRecordRow
from resguardo.vault.testkit import memory_vault_stack

PG_URL = os.environ.get(
    "RESGUARDO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
LEADS = Principal("bench", "lead-qualifier", "live")


async def bench_erasure(backend: str, tmp: Path, n: int) -> dict[str, float]:
    """Seed one subject with ``n`` real encrypted records, then time the erasure."""
    db, schema = await open_database(backend, tmp, PG_URL)
    clock = FrozenClock()
    audit = DbAuditLog(db, clock)
    try:
        await audit.ensure_head()
        stack = await memory_vault_stack(db, clock, audit,
                                         rights=RightsConfig(blocking_period=timedelta(0)))
        grant = await stack.vault.authorize(LEADS, "leads", "write")
        first = await stack.vault.create(grant, {"email": "ana@example.es"}, {"name": "Ana"})
        owner = subject_owner(first.subject_id)
        rows = []
        for i in range(n - 1):
            rid = uuid.uuid4().hex
            blob = await stack.vault.crypto.cipher.encrypt(
                owner, b'{"name":"Ana","notes":"call %d"}' % i, table=RECORDS_TABLE,
                record_id=rid)
            rows.append({"id": rid, "subject_id": first.subject_id, "environment": "live",
                         "collection": "leads", "category": "personal",
                         "workflow": "lead-qualifier", "created_at": clock.now(),
                         "updated_at": clock.now(), "ciphertext": blob})
        async with db.session() as session:
            await session.execute(insert(VaultRecordRow), rows)
        req = await stack.rights.open("erasure", "email", "ana@example.es",
                                      environment="live", actor="bench")
        await stack.rights.verify(req.id, method="bench", actor="bench")
        start = time.perf_counter()
        done = await erase(stack.rights, req.id, actor="bench")
        elapsed = time.perf_counter() - start
        assert done.outcome == "erased", done
        return {"records": float(n), "seconds": elapsed}
    finally:
        await audit.aclose()
        await close_database(db, schema, PG_URL)


class _ShredTimer:
    """Wraps the sweeper's key shredding step to time it (wall clock)."""

    def __init__(self, step: Any) -> None:
        self.step = step
        self.seconds = 0.0

    async def __call__(self, subject_ids: list[str]) -> None:
        start = time.perf_counter()
        try:
            await self.step(subject_ids)
        finally:
            self.seconds += time.perf_counter() - start


async def _seed_sweep(db: Database, n: int, subjects: int) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    async with db.session() as session:
        await session.execute(text(
            "INSERT INTO vault_subjects (id, environment, created_at, state) VALUES "
            "(:id, 'live', :at, 'active')"),
            [{"id": f"{i:032x}", "at": old} for i in range(subjects)])
    # Server-side generation: a million rows without a million Python objects.
    if db.is_sqlite:
        sql = (
            "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < :last) "
            "INSERT INTO vault_records (id, subject_id, environment, collection, category, "
            "workflow, created_at, updated_at, ciphertext) "
            "SELECT printf('r%031x', i), printf('%032x', i % :subjects), 'live', 'leads', "
            "'personal', 'lead-qualifier', '2020-01-01 00:00:00.000000', "
            "'2020-01-01 00:00:00.000000', randomblob(64) FROM c"
        )
    else:
        sql = (
            "INSERT INTO vault_records (id, subject_id, environment, collection, category, "
            "workflow, created_at, updated_at, ciphertext) "
            "SELECT 'r' || lpad(to_hex(i), 31, '0'), lpad(to_hex(i % :subjects), 32, '0'), "
            "'live', 'leads', 'personal', 'lead-qualifier', "
            "timestamptz '2020-01-01 00:00:00+00', timestamptz '2020-01-01 00:00:00+00', "
            "decode(md5(i::text) || md5((i + 1)::text), 'hex') "
            "FROM generate_series(0, :last) AS i"
        )
    async with db.session() as session:
        await session.execute(text(sql), {"last": n - 1, "subjects": subjects})
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE vault_records")


async def bench_sweep(
    backend: str, tmp: Path, n: int, subjects: int, batch: int
) -> dict[str, float]:
    """Seed ``n`` expired records over ``subjects`` subjects, then time the sweep."""
    db, schema = await open_database(backend, tmp, PG_URL)
    clock = FrozenClock()
    audit = DbAuditLog(db, clock)
    try:
        await audit.ensure_head()
        stack = await memory_vault_stack(db, clock, audit, sweep_batch_size=batch)
        timer = _ShredTimer(stack.sweeper._shred_keys)
        stack.sweeper._shred_keys = timer  # type: ignore[method-assign]
        t0 = time.perf_counter()
        await _seed_sweep(db, n, subjects)
        seed = time.perf_counter() - t0
        start = time.perf_counter()
        report = await stack.sweeper.run()
        elapsed = time.perf_counter() - start
        assert report.deleted == n, report.to_dict()
        return {"records": float(n), "seconds": elapsed, "rate": n / elapsed,
                "seed_seconds": seed, "shredded": float(report.subjects_shredded),
                "shred_seconds": timer.seconds,
                "delete_rate": n / max(elapsed - timer.seconds, 1e-9)}
    finally:
        await audit.aclose()
        await close_database(db, schema, PG_URL)


async def _pg_reachable() -> bool:
    try:
        db = Database(PG_URL)
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("select 1")
        await db.dispose()
        return True
    except Exception:
        return False


async def main(args: argparse.Namespace) -> None:
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not await _pg_reachable():
        print("PostgreSQL not reachable: skipped")
        backends.remove("postgresql")
    lines = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for backend in backends:
            er = await bench_erasure(backend, tmp, args.erasure_records)
            print(f"{backend}: erasure of {int(er['records'])} records in {er['seconds']:.3f} s")
            sw = await bench_sweep(backend, tmp, args.records, args.subjects, args.batch)
            print(f"{backend}: sweep of {int(sw['records'])} records in {sw['seconds']:.2f} s "
                  f"= {sw['rate']:,.0f} records/s, of which shredding {int(sw['shredded'])} keys "
                  f"{sw['shred_seconds']:.2f} s (seeded in {sw['seed_seconds']:.1f} s)")
            lines.append(
                f"| {backend} | {int(er['records']):,} | {er['seconds']:.3f} s "
                f"| {'met' if er['seconds'] <= 1.0 else 'NOT met'} | {int(sw['records']):,} "
                f"| {sw['seconds']:.2f} s | {sw['rate']:,.0f} "
                f"| {'met' if sw['rate'] >= 20_000 else 'NOT met'} | {int(sw['shredded'])} "
                f"| {sw['shred_seconds']:.2f} s | {sw['delete_rate']:,.0f} |"
            )
    body = "\n".join([
        f"- machine: {_results.machine()}",
        f"- command: `{_results.command()}`",
        "- erasure: one subject, records really encrypted under its data key; timed call is "
        "`rights.erasure.erase` with a zero blocking period (audit events to the DB audit log, "
        "block, key shred, set-based delete of records, identifiers and subject, WAL checkpoint)",
        f"- sweep: records generated server-side over {args.subjects:,} subjects, all expired; "
        f"timed call is `RetentionSweeper.run()` (counts, {args.batch:,}-record batches each "
        "selected by keyset on the sweep index, audited, then deleted (by id on SQLite, as "
        "one index range on PostgreSQL); "
        "then key shred of the subjects left without records)",
        "",
        "| backend | erasure records | erasure time | <= 1 s | sweep records | sweep time "
        "| records/s | >= 20,000/s | subjects shredded | of which shredding "
        "| records/s without shredding |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *lines,
    ])
    if not args.no_write:
        _results.write_section("vault", "Vault: erasure and retention sweep (bench_vault.py)",
                               body)
    print(body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--erasure-records", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--batch", type=int, default=10_000, help="sweep batch size")
    parser.add_argument("--no-write", action="store_true", help="print only")
    asyncio.run(main(parser.parse_args()))
