"""The retention sweep: set-based, batched deletes of expired vault records.

Each batch selects up to ``batch_size`` expired records by keyset along the sweep index
``(collection, created_at, id)``, writes one audit event for them (collection, category,
count and a SHA-256 of the ids, so the trail is complete without one event per row),
then deletes them with one ``DELETE`` (by id on SQLite, as one index range on
PostgreSQL) in its own short transaction: a million rows never sit in Python at once
and other writers get the database between batches. Subjects on hold or blocked for
erasure and collections on hold are skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, not_, select, text, true, tuple_

from resguardo.audit.events import AuditEvent
from resguardo.clock import Clock
from resguardo.crypto.keycache import Owner
from resguardo.policy.schema import Policy
from resguardo.retention.rules import SweepRule, sweep_rules
from resguardo.rights.holds import hold_blocks
from resguardo.rights.tables import LegalHoldRow
from resguardo.store.db import Database
from resguardo.vault.ports import VaultCrypto, subject_owner
from resguardo.vault.tables import VaultIdentifierRow, VaultRecordRow, VaultSubjectRow

__all__ = ["Progress", "RetentionSweeper", "RuleOutcome", "SweepReport"]

Progress = Callable[[int, int], None]  # (records done, records planned)
# Up to this many excluded subjects are inlined as NOT IN; beyond, a correlated subquery.
_INLINE_EXCLUSIONS = 500


@dataclass
class RuleOutcome:
    """What one rule found (and, unless a dry run, removed)."""

    rule: SweepRule
    cutoff: datetime
    expired: int = 0
    held: int = 0
    deleted: int = 0


@dataclass
class SweepReport:
    """The result of a sweep or a dry run; holds only counts and names."""

    dry_run: bool
    at: datetime
    outcomes: list[RuleOutcome] = field(default_factory=list)
    subjects_shredded: int = 0

    @property
    def expired(self) -> int:
        """Records past their period and not held."""
        return sum(o.expired for o in self.outcomes)

    @property
    def deleted(self) -> int:
        """Records removed."""
        return sum(o.deleted for o in self.outcomes)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "dry_run": self.dry_run,
            "at": self.at.isoformat(),
            "expired": self.expired,
            "deleted": self.deleted,
            "subjects_shredded": self.subjects_shredded,
            "rules": [
                {"collection": o.rule.collection, "workflow": o.rule.workflow,
                 "category": o.rule.category, "days": o.rule.days, "action": o.rule.action,
                 "cutoff": o.cutoff.isoformat(), "expired": o.expired, "held": o.held,
                 "deleted": o.deleted}
                for o in self.outcomes
            ],
        }


class RetentionSweeper:
    """Deletes (or shreds) what the policy says has expired."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        crypto: VaultCrypto,
        clock: Clock,
        *,
        batch_size: int = 10_000,
        actor: str = "system:retention",
    ) -> None:
        self.db = db
        self.policy = policy
        self.crypto = crypto
        self.clock = clock
        self.batch_size = batch_size
        self.actor = actor

    async def run(self, *, dry_run: bool = False, progress: Progress | None = None) -> SweepReport:
        """Sweep every rule; with ``dry_run`` only count."""
        now = self.clock.now()
        report = SweepReport(dry_run=dry_run, at=now)
        excluded = await self._excluded_subjects()
        held_collections = await self._held_collections()
        for rule in sweep_rules(self.policy):
            outcome = RuleOutcome(rule, rule.cutoff(now))
            expired = _expired(rule, outcome.cutoff)
            total = await self._count(expired)
            if rule.collection in held_collections:
                outcome.held = total
            else:
                outcome.expired = await self._count(and_(expired, _not_held(excluded)))
                outcome.held = total - outcome.expired
            report.outcomes.append(outcome)
        if dry_run:
            return report
        planned, done = report.expired, 0
        if progress is not None:
            progress(0, planned)
        orphans: set[str] = set()
        for outcome in report.outcomes:
            if outcome.expired == 0:
                continue
            condition = and_(_expired(outcome.rule, outcome.cutoff), _not_held(excluded))
            batch = 0
            after: tuple[datetime, str] | None = None
            while True:
                ids, subjects, after = await self._delete_batch(condition, outcome, batch, after)
                if not ids:
                    break
                batch += 1
                outcome.deleted += len(ids)
                done += len(ids)
                if outcome.rule.action == "shred":
                    orphans.update(subjects)
                if progress is not None:
                    progress(done, planned)
        report.subjects_shredded = await self._shred_orphans(orphans)
        return report

    async def _delete_batch(
        self,
        condition: ColumnElement[bool],
        outcome: RuleOutcome,
        batch: int,
        after: tuple[datetime, str] | None,
    ) -> tuple[list[str], set[str], tuple[datetime, str] | None]:
        query = select(VaultRecordRow.id, VaultRecordRow.subject_id, VaultRecordRow.created_at)
        if after is not None:
            # Keyset paging along the sweep index: never rescan what earlier batches removed
            # (PostgreSQL keeps dead index entries until vacuum).
            query = query.where(
                tuple_(VaultRecordRow.created_at, VaultRecordRow.id) > tuple_(*after)
            )
        async with self.db.session() as session:
            rows = (await session.execute(
                query.where(condition)
                .order_by(VaultRecordRow.created_at, VaultRecordRow.id)
                .limit(self.batch_size)
            )).all()
        if not rows:
            return [], set(), after
        ids = sorted(r[0] for r in rows)
        rule = outcome.rule
        # The event is written before the batch is deleted: if it fails, nothing is deleted.
        # (Outside the transaction: on SQLite the audit log needs the one write lock.)
        await self.crypto.audit.record(AuditEvent(
            kind="retention.deleted", outcome="success", actor=self.actor,
            workflow=rule.workflow, at=self.clock.now(),
            data={"collection": rule.collection, "category": rule.category,
                  "action": rule.action, "days": rule.days, "batch": batch,
                  "count": len(ids), "cutoff": outcome.cutoff.isoformat(),
                  "ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest()},
        ))
        first, last = rows[0], rows[-1]
        if self.db.is_sqlite:
            # By primary key: with the sweep condition or a two-sided row-value range,
            # SQLite's planner rescans the rest of the sweep index on every batch.
            statement = delete(VaultRecordRow).where(VaultRecordRow.id.in_(ids))
        else:
            # One range of the sweep index, the condition re-applied so a hold placed a
            # moment ago still wins; PostgreSQL bounds the index scan on both sides.
            key = tuple_(VaultRecordRow.created_at, VaultRecordRow.id)
            statement = delete(VaultRecordRow).where(
                condition, key >= tuple_(first[2], first[0]), key <= tuple_(last[2], last[0])
            )
        async with self.db.session() as session:
            if self.db.is_sqlite:
                # Each delete touches the subject index at random: a bigger page cache
                # (64 MiB, this connection only) keeps those pages in memory.
                await session.execute(text("PRAGMA cache_size=-65536"))
            await session.execute(statement.execution_options(synchronize_session=False))
        return ids, {r[1] for r in rows}, (last[2], last[0])

    async def _shred_orphans(self, candidates: set[str]) -> int:
        """Shred the key of every swept subject left with no record, and forget the subject."""
        if not candidates:
            return 0
        orphans: list[str] = []
        async with self.db.session() as session:
            chunk = sorted(candidates)
            for i in range(0, len(chunk), 500):
                part = chunk[i : i + 500]
                with_records = set(await session.scalars(
                    select(VaultRecordRow.subject_id)
                    .where(VaultRecordRow.subject_id.in_(part)).distinct()
                ))
                orphans.extend(s for s in part if s not in with_records)
        if not orphans:
            return 0
        await self.crypto.audit.record(AuditEvent(
            kind="retention.shredded", outcome="success", actor=self.actor,
            at=self.clock.now(), data={"subjects": len(orphans)},
        ))
        await self._shred_keys(orphans)
        async with self.db.session() as session:
            for i in range(0, len(orphans), 500):
                part = orphans[i : i + 500]
                await session.execute(
                    delete(VaultIdentifierRow).where(VaultIdentifierRow.subject_id.in_(part))
                )
                await session.execute(delete(VaultSubjectRow).where(VaultSubjectRow.id.in_(part)))
        return len(orphans)

    async def _shred_keys(self, subject_ids: list[str]) -> None:
        owners = [subject_owner(s) for s in subject_ids]
        bulk = getattr(self.crypto.keys, "shred_many", None)
        if bulk is not None:
            await bulk(owners)
            return
        if self.db.is_sqlite:
            # One writer: concurrency would only queue on the lock.
            for owner in owners:
                await self.crypto.keys.shred(owner)
            return
        gate = asyncio.Semaphore(8)

        async def one(owner: Owner) -> None:
            async with gate:
                await self.crypto.keys.shred(owner)

        await asyncio.gather(*(one(o) for o in owners))

    async def _count(self, condition: ColumnElement[bool]) -> int:
        async with self.db.session() as session:
            value = await session.scalar(
                select(func.count()).select_from(VaultRecordRow).where(condition)
            )
        return int(value or 0)

    async def _excluded_subjects(self) -> list[str] | None:
        """Subjects on hold or blocked (awaiting erasure); None when too many to inline."""
        async with self.db.session() as session:
            held = set(await session.scalars(
                select(LegalHoldRow.subject_id).where(
                    LegalHoldRow.released_at.is_(None), LegalHoldRow.subject_id.is_not(None))
            ))
            blocked = set(await session.scalars(
                select(VaultSubjectRow.id).where(VaultSubjectRow.state != "active")
                .limit(_INLINE_EXCLUSIONS + 1)
            ))
        excluded = {s for s in held | blocked if s is not None}
        return sorted(excluded) if len(excluded) <= _INLINE_EXCLUSIONS else None

    async def _held_collections(self) -> set[str]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(LegalHoldRow.collection).where(
                    LegalHoldRow.released_at.is_(None), LegalHoldRow.collection.is_not(None))
            )
            return {r for r in rows if r is not None}


def _expired(rule: SweepRule, cutoff: datetime) -> ColumnElement[bool]:
    condition = and_(VaultRecordRow.collection == rule.collection,
                     VaultRecordRow.created_at < cutoff)
    if rule.workflow is not None:
        condition = and_(condition, VaultRecordRow.workflow == rule.workflow)
    if rule.outer_days is not None:
        floor = cutoff - timedelta(days=rule.outer_days - rule.days)
        condition = and_(condition, VaultRecordRow.created_at >= floor)
    return condition


def _not_held(excluded: list[str] | None) -> ColumnElement[bool]:
    if excluded is None:
        # Too many to inline: let the database check each row (slower, still set-based).
        blocked = select(VaultSubjectRow.id).where(
            VaultSubjectRow.id == VaultRecordRow.subject_id, VaultSubjectRow.state != "active"
        ).exists()
        return and_(
            not_(hold_blocks(VaultRecordRow.environment, VaultRecordRow.subject_id)),
            not_(blocked),
        )
    if not excluded:
        return true()
    return VaultRecordRow.subject_id.not_in(excluded)
