"""``DbAuditLog``: the append-only, hash-chained audit log with group commit.

Every append runs in one transaction that first locks the single chain-head row
(``UPDATE audit_head ... RETURNING``): on PostgreSQL that is a row lock held until
commit, on SQLite it takes the database write lock, so any number of processes can
write at once and the chain stays linear. Callers of ``record`` wait until the batch
holding their event has committed: a returned call means a durable event, a raised
``AuditWriteFailed`` means nothing was stored and the caller must fail closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from resguardo.audit.canonical import GENESIS, categories_of, chain_hash, seal
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


@dataclass(frozen=True)
class Head:
    """The chain head: number of the last event and its hash."""

    seq: int
    hash: bytes


_Pending = tuple[AuditEvent, datetime, "asyncio.Future[int]"]


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
            # One turn of the loop lets every caller already scheduled join this batch.
            await asyncio.sleep(0)
            while self._pending:
                # Group commit: everything queued while the last batch committed goes now.
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
        try:
            return await self._append(events)
        except _NoHead:
            await self.ensure_head()
            return await self._append(events)

    async def _append(self, events: Sequence[tuple[AuditEvent, datetime]]) -> int:
        async with self.db.session() as session:
            head = await self._lock_head(session)
            seq, prev = head.seq, head.hash
            first = seq + 1
            rows: list[dict[str, Any]] = []
            subjects: list[dict[str, Any]] = []
            for event, at in events:
                seq += 1
                ip_hash = (
                    self.hasher.hash(event.source_ip, "ip")
                    if self.hasher is not None and event.source_ip
                    else None
                )
                canonical = seal(seq, at, event, source_ip_hash=ip_hash)
                digest = chain_hash(prev, canonical)
                cats = categories_of(event.data)
                rows.append(
                    {
                        "seq": seq,
                        "at": at,
                        "kind": event.kind,
                        "outcome": event.outcome,
                        "actor": event.actor,
                        "workflow": event.workflow,
                        "categories": f",{','.join(cats)}," if cats else "",
                        "canonical": canonical,
                        "prev_hash": prev,
                        "hash": digest,
                    }
                )
                subjects.extend({"seq": seq, "subject_hash": h} for h in set(event.subject_hashes))
                prev = digest
            # Core inserts (executemany), not the ORM bulk path: a third of the cost.
            await session.execute(insert(_EVENTS), rows)
            if subjects:
                await session.execute(insert(_SUBJECTS), subjects)
            await session.execute(
                update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(seq=seq, hash=prev)
            )
        return first

    async def _lock_head(self, session: AsyncSession) -> Head:
        # A no-op UPDATE takes the row lock (PostgreSQL) / write lock (SQLite) before we read.
        result = await session.execute(
            update(AuditHeadRow)
            .where(AuditHeadRow.id == HEAD_ID)
            .values(seq=AuditHeadRow.seq)
            .returning(AuditHeadRow.seq, AuditHeadRow.hash)
        )
        row = result.first()
        if row is None:
            raise _NoHead
        return Head(int(row[0]), bytes(row[1]))

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
