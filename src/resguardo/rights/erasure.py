"""Erasure (GDPR Art. 17) the Spanish way: block first (LOPDGDD Art. 32), then crypto-shred.

``erase`` blocks the subject: its records stay, reachable only through audited
break-glass access, until the blocking period ends. ``complete_due_erasures`` (run by
the retention loop and ``resguardo retention run``) then shreds the subject's data key
and deletes records, identifiers and the subject row. A legal hold stops both steps
and the reason stays recorded on the hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from resguardo.rights.requests import RightKind, RightsRequest, RightsRequests, Status
from resguardo.rights.tables import RightsRequestRow
from resguardo.vault.tables import VaultRecordRow, VaultSubjectRow

__all__ = ["ErasureOutcome", "complete_due_erasures", "erase"]


@dataclass(frozen=True)
class ErasureOutcome:
    """What one completion pass did."""

    erased_subjects: int
    deleted_records: int
    held: int


async def _hold_reason(requests: RightsRequests, environment: str, subject_id: str) -> str | None:
    async with requests.db.session() as session:
        collections = list(await session.scalars(
            select(VaultRecordRow.collection).where(VaultRecordRow.subject_id == subject_id)
            .distinct()
        ))
        return await requests.holds.reason_for_subject(
            session, environment, subject_id, collections
        )


async def erase(requests: RightsRequests, request_id: str, *, actor: str) -> RightsRequest:
    """Block the subject's data now; shred it at once if the blocking period is zero."""
    now = requests.clock.now()
    row = await requests.verified(request_id, RightKind.ERASURE)
    if row.status == Status.BLOCKED:
        return RightsRequest.of(row)
    if row.subject_id is None:
        await requests.step(row, "erased", actor, records=0)
        return await requests.apply(request_id, status=Status.COMPLETED.value,
                                    completed_at=now, outcome="no_data")
    if await _hold_reason(requests, row.environment, row.subject_id) is not None:
        # Art. 17(3)(e): the data is needed for legal claims. The request stays open and
        # the hold's recorded reason explains why.
        await requests.step(row, "held", actor)
        return await requests.apply(request_id, outcome="legal_hold")
    until = now + requests.config.blocking_period
    await requests.step(row, "blocked", actor, block_until=until.isoformat())
    async with requests.db.session() as session:
        await session.execute(
            update(VaultSubjectRow).where(VaultSubjectRow.id == row.subject_id).values(
                state="blocked", blocked_at=now, block_until=until, erasure_request_id=row.id)
        )
        await session.execute(
            update(RightsRequestRow).where(RightsRequestRow.id == row.id).values(
                status=Status.BLOCKED.value, block_until=until, outcome="blocked")
        )
    if requests.config.blocking_period.total_seconds() <= 0:
        await complete_due_erasures(requests, actor=actor)
    return await requests.get(request_id)


async def complete_due_erasures(
    requests: RightsRequests, *, actor: str = "system:rights"
) -> ErasureOutcome:
    """Shred every blocked subject whose blocking period is over and no hold covers."""
    now = requests.clock.now()
    async with requests.db.session() as session:
        due = list(await session.scalars(
            select(RightsRequestRow).where(
                RightsRequestRow.status == Status.BLOCKED,
                RightsRequestRow.block_until <= now,
            ).order_by(RightsRequestRow.block_until)
        ))
    erased = deleted = held = 0
    for row in due:
        if row.subject_id is None:
            continue
        if await _hold_reason(requests, row.environment, row.subject_id) is not None:
            if row.outcome != "legal_hold":
                await requests.step(row, "held", actor)
                await requests.apply(row.id, outcome="legal_hold")
            held += 1
            continue
        # Shred and delete first, then audit and close: if the audit write fails the request
        # stays blocked and the next pass repeats the (idempotent) purge and the event.
        count = await requests.vault.purge_subject(row.subject_id)
        await requests.step(row, "erased", actor, records=count, key="shredded")
        await requests.apply(row.id, status=Status.COMPLETED.value, completed_at=now,
                             outcome="erased")
        erased += 1
        deleted += count
    return ErasureOutcome(erased, deleted, held)
