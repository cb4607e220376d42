"""Legal holds: a recorded reason that stops erasure and retention for a subject or collection."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.clock import Clock
from resguardo.errors import Conflict, InputError, NotFound
from resguardo.rights.tables import LegalHoldRow
from resguardo.store.db import Database
from resguardo.vault.subjects import new_id

__all__ = ["LegalHolds", "hold_blocks"]

_Col = ColumnElement[str] | InstrumentedAttribute[str]


def hold_blocks(
    environment_col: _Col,
    subject_col: _Col,
    collection_col: _Col | None = None,
) -> ColumnElement[bool]:
    """SQL condition: an active hold covers this row (for set-based sweeps and erasures)."""
    covers = LegalHoldRow.subject_id == subject_col
    if collection_col is not None:
        covers = or_(covers, LegalHoldRow.collection == collection_col)
    return exists().where(
        and_(
            LegalHoldRow.released_at.is_(None),
            LegalHoldRow.environment == environment_col,
            covers,
        )
    )


class LegalHolds:
    """Place, release and check holds; every change is audited."""

    def __init__(self, db: Database, audit: AuditSink, clock: Clock) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock

    async def place(
        self,
        *,
        environment: str,
        reason: str,
        actor: str,
        subject_id: str | None = None,
        collection: str | None = None,
        subject_hash: str | None = None,
    ) -> str:
        """Hold one subject or one collection; returns the hold id."""
        if (subject_id is None) == (collection is None):
            raise InputError("Hold exactly one subject or one collection.", code="invalid_hold")
        if len(reason.strip()) < 8:
            # A hold overrides the right to erasure: it must say why (GDPR Art. 17(3)(e)).
            raise InputError("A legal hold needs a reason.", code="reason_required")
        hold_id = new_id()
        now = self.clock.now()
        # Audited before it is stored (outside the transaction: SQLite has one writer).
        await self.audit.record(AuditEvent(
            kind="legal_hold.placed", outcome="success", actor=actor,
            environment=environment, at=now,
            subject_hashes=(subject_hash,) if subject_hash else (),
            data={"hold_id": hold_id, "collection": collection,
                  "scope": "subject" if subject_id else "collection"},
        ))
        async with self.db.session() as session:
            session.add(LegalHoldRow(
                id=hold_id, environment=environment, subject_id=subject_id,
                collection=collection, reason=reason.strip(), placed_by=actor, placed_at=now,
            ))
        return hold_id

    async def release(self, hold_id: str, *, actor: str) -> None:
        """End a hold (the row stays as evidence)."""
        now = self.clock.now()
        async with self.db.session() as session:
            row = await session.get(LegalHoldRow, hold_id)
        if row is None:
            raise NotFound("Unknown legal hold.")
        if row.released_at is not None:
            raise Conflict("The hold is already released.")
        await self.audit.record(AuditEvent(
            kind="legal_hold.released", outcome="success", actor=actor,
            environment=row.environment, at=now, data={"hold_id": hold_id},
        ))
        async with self.db.session() as session:
            await session.execute(
                update(LegalHoldRow).where(LegalHoldRow.id == hold_id)
                .values(released_at=now, released_by=actor)
            )

    async def active(self, environment: str | None = None) -> list[LegalHoldRow]:
        """Holds in force, oldest first."""
        async with self.db.session() as session:
            query = select(LegalHoldRow).where(LegalHoldRow.released_at.is_(None))
            if environment is not None:
                query = query.where(LegalHoldRow.environment == environment)
            return list(await session.scalars(query.order_by(LegalHoldRow.placed_at)))

    async def reason_for_subject(
        self, session: AsyncSession, environment: str, subject_id: str,
        collections: list[str],
    ) -> str | None:
        """The reason of an active hold on this subject or one of its collections, or None."""
        covers = LegalHoldRow.subject_id == subject_id
        if collections:
            covers = or_(covers, LegalHoldRow.collection.in_(collections))
        row = await session.scalar(
            select(LegalHoldRow).where(
                LegalHoldRow.released_at.is_(None),
                LegalHoldRow.environment == environment,
                covers,
            ).limit(1)
        )
        return row.reason if row is not None else None
