"""Find and export audit events: filters on the indexed columns, output from the sealed record."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Select, select

from resguardo.audit.canonical import decode
from resguardo.audit.tables import AuditEventRow, AuditSubjectRow
from resguardo.store.db import Database

__all__ = [
    "CSV_COLUMNS", "AuditQuery", "csv_header", "iter_events", "query_events", "to_csv", "to_jsonl",
]

CSV_COLUMNS = (
    "seq", "at", "kind", "outcome", "actor", "workflow", "environment", "categories",
    "source_net", "source_ip_hash", "subjects", "data", "hash",
)


@dataclass(frozen=True)
class AuditQuery:
    """Filters; every one given must match (AND). ``after_seq`` pages forward."""

    since: datetime | None = None
    until: datetime | None = None
    workflow: str | None = None
    actor: str | None = None  # the key id or admin id
    category: str | None = None
    outcome: str | None = None  # the action: forwarded / masked / blocked / ...
    kind: str | None = None
    environment: str | None = None  # live / test
    subject_hash: str | None = None
    after_seq: int = 0
    limit: int = 100


def _utc(at: datetime) -> datetime:
    # SQLite compares stored UTC text: a bound time must be UTC too (naive means UTC).
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _statement(q: AuditQuery) -> Select[int, bytes, bytes]:
    t = AuditEventRow
    stmt = select(t.seq, t.canonical, t.hash).where(t.seq > q.after_seq)
    if q.since is not None:
        stmt = stmt.where(t.at >= _utc(q.since))
    if q.until is not None:
        stmt = stmt.where(t.at < _utc(q.until))
    for column, value in ((t.workflow, q.workflow), (t.actor, q.actor), (t.outcome, q.outcome),
                          (t.kind, q.kind), (t.environment, q.environment)):
        if value is not None:
            stmt = stmt.where(column == value)
    if q.category is not None:
        # Category ids are policy identifiers ([a-z0-9_.-]); escape LIKE wildcards anyway.
        needle = q.category.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(t.categories.like(f"%,{needle},%", escape="\\"))
    if q.subject_hash is not None:
        stmt = stmt.where(
            t.seq.in_(
                select(AuditSubjectRow.seq).where(AuditSubjectRow.subject_hash == q.subject_hash)
            )
        )
    return stmt.order_by(t.seq).limit(q.limit)


def _record(canonical: bytes, digest: bytes) -> dict[str, Any]:
    record = decode(bytes(canonical))
    record["hash"] = bytes(digest).hex()
    return record


async def query_events(db: Database, q: AuditQuery) -> list[dict[str, Any]]:
    """One page of matching events, oldest first, as sealed records plus their hash."""
    async with db.session() as session:
        rows = (await session.execute(_statement(q))).all()
    return [_record(c, h) for _, c, h in rows]


async def iter_events(
    db: Database, q: AuditQuery, page: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Every matching event, streamed in pages (for export)."""
    current = replace(q, limit=page)
    while True:
        async with db.session() as session:
            rows = (await session.execute(_statement(current))).all()
        for _, canonical, digest in rows:
            yield _record(canonical, digest)
        if len(rows) < page:
            return
        current = replace(current, after_seq=int(rows[-1][0]))


def to_jsonl(records: Iterable[dict[str, Any]]) -> bytes:
    """JSON Lines, one sealed record per line."""
    return b"".join(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n" for r in records)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        text = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    else:
        text = str(value)
    # A leading = + - @ would run as a formula in a spreadsheet: neutralize it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_header() -> str:
    """The CSV header line."""
    buf = io.StringIO()
    csv.writer(buf).writerow(CSV_COLUMNS)
    return buf.getvalue()


def to_csv(records: Iterable[dict[str, Any]], *, header: bool = True) -> str:
    """CSV for an auditor's spreadsheet; lists joined by ';', data as JSON."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    if header:
        writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow([_cell(r.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()
