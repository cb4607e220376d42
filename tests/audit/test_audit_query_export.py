"""Query filters and auditor exports read the sealed records back."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import orjson

from resguardo.audit.events import AuditEvent
from resguardo.audit.hashing import SubjectHasher
from resguardo.audit.log import DbAuditLog
from resguardo.audit.query import AuditQuery, iter_events, query_events, to_csv, to_jsonl
from resguardo.store.db import Database
from resguardo.testing import FrozenClock

HASHER = SubjectHasher(b"s" * 32)


async def _seed(db: Database, clock: FrozenClock) -> DbAuditLog:
    log = DbAuditLog(db, clock, hasher=HASHER)
    ana = HASHER("ana@example.es")
    events = [
        AuditEvent("gateway.request", "masked", actor="key_a", workflow="leads",
                   subject_hashes=(ana,), data={"categories": {"personal": 2}}),
        AuditEvent("gateway.request", "blocked", actor="key_b", workflow="calls",
                   data={"categories": {"special": 1, "personal": 1}}),
        AuditEvent("vault.read", "success", actor="key_a", workflow="leads",
                   subject_hashes=(ana, HASHER("luis@example.es")),
                   data={"collection": "leads", "note": "=HYPERLINK(1)"}),
        AuditEvent("gateway.request", "forwarded", actor="key_c", workflow="leads",
                   source_ip="198.51.100.23"),
    ]
    for e in events:
        await log.record(e)
        clock.advance(timedelta(hours=1))
    await log.aclose()
    return log


async def test_filters_combine(database: Database, clock: FrozenClock) -> None:
    """Workflow, key, category, action, kind and time filters narrow the result together."""
    await _seed(database, clock)
    start = clock.now() - timedelta(hours=4)

    async def seqs(**kw: object) -> list[int]:
        return [r["seq"] for r in await query_events(database, AuditQuery(**kw))]  # type: ignore[arg-type]

    assert await seqs(workflow="leads") == [1, 3, 4]
    assert await seqs(actor="key_a", kind="vault.read") == [3]
    assert await seqs(category="personal") == [1, 2]
    assert await seqs(category="person") == []
    assert await seqs(outcome="blocked") == [2]
    assert await seqs(since=start + timedelta(hours=1), until=start + timedelta(hours=3)) == [2, 3]
    assert await seqs(after_seq=1, limit=2) == [2, 3]


async def test_subject_hash_finds_a_subjects_events(database: Database, clock: FrozenClock) -> None:
    """A DPO recomputes the keyed hash and gets every event about that subject."""
    await _seed(database, clock)
    rows = await query_events(database, AuditQuery(subject_hash=HASHER(" ANA@example.es")))
    assert [r["seq"] for r in rows] == [1, 3]


async def test_source_address_is_stored_as_network_and_keyed_hash(
    database: Database, clock: FrozenClock
) -> None:
    """The raw source address never reaches the sealed record."""
    await _seed(database, clock)
    (row,) = await query_events(database, AuditQuery(actor="key_c"))
    assert row["source_net"] == "198.51.100.0/24"
    assert row["source_ip_hash"] == HASHER("198.51.100.23", "ip")
    assert b"198.51.100.23" not in orjson.dumps(row)


async def test_jsonl_and_csv_exports(database: Database, clock: FrozenClock) -> None:
    """Exports hold every matching event; CSV neutralizes spreadsheet formulas."""
    await _seed(database, clock)
    records = [r async for r in iter_events(database, AuditQuery(workflow="leads"), page=2)]
    assert [r["seq"] for r in records] == [1, 3, 4]
    lines = to_jsonl(records).splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == [1, 3, 4]
    table = list(csv.DictReader(io.StringIO(to_csv(records))))
    assert table[1]["subjects"].count(";") == 1
    assert orjson.loads(table[1]["data"].lstrip("'"))["collection"] == "leads"
    assert table[1]["data"].startswith("{")
    assert to_csv([{"seq": 1, "kind": "=cmd"}]).splitlines()[1].split(",")[2] == "'=cmd"
