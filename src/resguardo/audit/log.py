"""``DbAuditLog``: the append-only, hash-chained audit log with group commit.

Every append is one transaction whose first statement takes the single chain-head row:
on PostgreSQL a row lock held until commit, on SQLite the database write lock, so any
number of processes can write at once and the chain stays linear. Callers of ``record``
wait until the batch holding their event has committed: a returned call means a durable
event, a raised ``AuditWriteFailed`` means nothing was stored and the caller must fail
closed.

A batch is the fewest Core statements (measured before: the ORM update path and a thread
hop per aiosqlite statement cost ~4 ms of CPU per batch). The first is a conditional
``UPDATE audit_head SET seq=new, hash=new WHERE seq=old AND hash=old``, from where this
process last left the head; if another writer moved it, no row matches and the head is
locked and re-read (``UPDATE ... SET seq = seq RETURNING``) before sealing. Then one
executemany per table. Nothing is read back. See ``connections`` for what each backend
commits on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError

from resguardo.audit.canonical import GENESIS, categories_of, chain_hash, seal
from resguardo.audit.connections import HeldConnection, SqliteWriterThread
from resguardo.audit.events import AuditEvent
from resguardo.audit.guard import validate_event
from resguardo.audit.hashing import SubjectHasher
from resguardo.audit.signing import Checkpoint, CheckpointSigner
from resguardo.audit.tables import (
    AuditCheckpointRow,
    AuditEventRow,
    AuditHeadRow,
    AuditSubjectRow,
)
from resguardo.clock import Clock
from resguardo.errors import AuditWriteFailed, ConfigError
from resguardo.store.db import Database

__all__ = ["HEAD_ID", "DbAuditLog", "Head"]

log = logging.getLogger("resguardo.audit")
HEAD_ID = 1
_EVENTS = cast(Table, AuditEventRow.__table__)
_SUBJECTS = cast(Table, AuditSubjectRow.__table__)
_HEAD = cast(Table, AuditHeadRow.__table__)

# Statements built once: Core, no ORM session, no synchronize_session bookkeeping.
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_SUBJECTS = insert(_SUBJECTS)
# Advance the head only from where this process last left it; takes the row/write lock.
_ADVANCE = (
    sql_update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID, _HEAD.c.seq == bindparam("old_seq"),
           _HEAD.c.hash == bindparam("old_hash"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
# A no-op UPDATE takes the row lock (PostgreSQL) / write lock (SQLite) before we read.
_LOCK = (
    sql_update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=_HEAD.c.seq)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD = (
    sql_update(_HEAD).where(_HEAD.c.id == HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


@dataclass(frozen=True)
class Head:
    """The chain head: number of the last event and its hash."""

    seq: int
    hash: bytes


_Pending = tuple[AuditEvent, datetime, "asyncio.Future[int]"]
# An event ready to seal: the event, its time and its keyed source-address hash.
_Ready = tuple[AuditEvent, datetime, str | None]


def _seal_batch(
    head: Head, events: Sequence[_Ready]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Head]:
    """Rows for ``events`` chained after ``head``, their subject rows, and the new head."""
    seq, prev = head.seq, head.hash
    rows: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    for event, at, ip_hash in events:
        seq += 1
        canonical = seal(seq, at, event, source_ip_hash=ip_hash)
        digest = chain_hash(prev, canonical)
        cats = categories_of(event.data)
        rows.append({
            "seq": seq, "at": at, "kind": event.kind, "outcome": event.outcome,
            "actor": event.actor, "workflow": event.workflow,
            "categories": f",{','.join(cats)}," if cats else "",
            "environment": event.environment,
            "canonical": canonical, "prev_hash": prev, "hash": digest,
        })
        subjects.extend({"seq": seq, "subject_hash": h} for h in set(event.subject_hashes))
        prev = digest
    return rows, subjects, Head(seq, prev)


def _append_on(conn: Connection, guess: Head | None, events: Sequence[_Ready]) -> Head:
    """One append transaction's statements on ``conn`` (sync; the caller commits)."""
    rows: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    new: Head | None = None
    if guess is not None:
        rows, subjects, new = _seal_batch(guess, events)
        moved = conn.execute(_ADVANCE, {"old_seq": guess.seq, "old_hash": guess.hash,
                                        "new_seq": new.seq, "new_hash": new.hash})
        if moved.rowcount != 1:
            new = None  # another writer moved the head: lock it and re-read
    if new is None:
        row = conn.execute(_LOCK).first()
        if row is None:
            raise _NoHead
        rows, subjects, new = _seal_batch(Head(int(row[0]), bytes(row[1])), events)
        conn.execute(_SET_HEAD, {"new_seq": new.seq, "new_hash": new.hash})
    conn.execute(_INSERT_EVENTS, rows)
    if subjects:
        conn.execute(_INSERT_SUBJECTS, subjects)
    return new


class DbAuditLog:
    """AuditSink over the database: validated, hash-chained, group-committed."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        signer: CheckpointSigner | Ed25519PrivateKey | None = None,
        hasher: SubjectHasher | None = None,
        *,
        log_id: str = "resguardo",
        max_batch: int = 1000,
        on_write_failure: Callable[[int], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signer = (
            CheckpointSigner(signer) if isinstance(signer, Ed25519PrivateKey) else signer
        )
        self.hasher = hasher
        self.log_id = log_id
        self.max_batch = max_batch
        self._on_failure = on_write_failure
        self._pending: list[_Pending] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        # Where this process last left the head: a guess, checked by every append.
        self._head: Head | None = None
        self._sqlite = SqliteWriterThread.for_database(db)
        # In-memory SQLite has one shared connection already: take it per batch.
        self._held = None if db.is_sqlite else HeldConnection(db.engine)

    # -- the sink -----------------------------------------------------------------

    async def record(self, event: AuditEvent) -> None:
        """Store ``event`` durably; raises AuditWriteFailed when it is not stored."""
        await self.record_seq(event)

    async def record_seq(self, event: AuditEvent) -> int:
        """Store ``event`` and return its sequence number once its batch has committed."""
        try:
            validate_event(event)
        except AuditWriteFailed:
            self._failed(1)
            raise
        if self._closed:
            self._failed(1)
            raise AuditWriteFailed("The audit log is closed.")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        self._pending.append((event, (event.at or self.clock.now()).astimezone(UTC), fut))
        self._ensure_writer().set()
        # A caller that gives up cancels only its own future; its batch still commits.
        return await fut

    async def aclose(self) -> None:
        """Flush what is queued and stop the writer."""
        self._closed = True
        if self._task is not None and self._wake is not None:
            self._wake.set()
            await self._task
            self._task = None
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._held is not None:
            await self._held.close()

    # -- the writer ---------------------------------------------------------------

    def _ensure_writer(self) -> asyncio.Event:
        if self._task is None or self._task.done() or self._wake is None:
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._writer(self._wake), name="audit-writer")
        return self._wake

    async def _writer(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            # An idle writer starts at once (no batch window): at low load a batch is one
            # event; under load, everything queued while the last batch committed goes next.
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                await self._commit(batch)
            if self._closed:
                return

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            first = await self.append([(e, at) for e, at, _ in batch])
        except Exception as exc:
            # Only the class is logged: a driver message may quote parameters.
            log.error("audit write failed", extra={"error_class": type(exc).__name__})
            self._failed(len(batch))
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(AuditWriteFailed())
            return
        for offset, (_, _, fut) in enumerate(batch):
            if not fut.done():
                fut.set_result(first + offset)

    def _failed(self, count: int) -> None:
        if self._on_failure is not None:
            self._on_failure(count)

    # -- chain operations ---------------------------------------------------------

    async def append(self, events: Sequence[tuple[AuditEvent, datetime]]) -> int:
        """Append validated events in one transaction; returns the first sequence number."""
        hasher = self.hasher
        ready: list[_Ready] = [
            (e, at, hasher.hash(e.source_ip, "ip") if hasher is not None and e.source_ip
             else None)
            for e, at in events
        ]
        try:
            head = await self._append(ready)
        except _NoHead:
            await self.ensure_head()
            head = await self._append(ready)
        self._head = head
        return head.seq - len(ready) + 1

    async def _append(self, ready: Sequence[_Ready]) -> Head:
        guess = self._head

        def run(conn: Connection) -> Head:
            return _append_on(conn, guess, ready)

        if self._sqlite is not None:
            return await self._sqlite.run(run)
        if self._held is not None:
            return await self._held.run(run)
        async with self.db.engine.begin() as conn:
            return await conn.run_sync(run)

    async def ensure_head(self) -> None:
        """Create the chain-head row if it is missing (safe to race)."""
        try:
            async with self.db.session() as session:
                exists = await session.scalar(
                    select(AuditHeadRow.id).where(AuditHeadRow.id == HEAD_ID)
                )
                if exists is None:
                    session.add(
                        AuditHeadRow(
                            id=HEAD_ID, seq=0, hash=GENESIS, anchor_seq=1, anchor_prev=GENESIS
                        )
                    )
        except IntegrityError:
            pass  # another writer created it first

    async def head(self) -> Head:
        """The current head (0 and the genesis hash for an empty log)."""
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID)
                )
            ).first()
        return Head(int(row[0]), bytes(row[1])) if row else Head(0, GENESIS)

    async def checkpoint(self) -> Checkpoint:
        """Sign the current head, keep the checkpoint in the database, and return it."""
        if self.signer is None:
            raise ConfigError("No audit signing key is configured.")
        head = await self.head()
        cp = self.signer.checkpoint(self.log_id, head.seq, head.hash, self.clock.now())
        async with self.db.session() as session:
            session.add(
                AuditCheckpointRow(
                    seq=cp.seq, hash=cp.hash, at=cp.at, key_id=cp.key_id, signature=cp.signature
                )
            )
        return cp


class _NoHead(Exception):
    """The head row does not exist yet."""
