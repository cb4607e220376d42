"""Audit retention: drop the expired prefix and leave a signed anchor so the rest still verifies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from resguardo.audit.events import AuditEvent
from resguardo.audit.log import HEAD_ID, DbAuditLog
from resguardo.audit.signing import anchor_message
from resguardo.audit.tables import AuditEventRow, AuditHeadRow, AuditSubjectRow
from resguardo.errors import ConfigError

__all__ = ["PruneResult", "prune_expired"]


@dataclass(frozen=True)
class PruneResult:
    """How many events were removed and where the log now starts."""

    deleted: int
    anchor_seq: int


async def prune_expired(log: DbAuditLog, retention_days: int) -> PruneResult:
    """Delete events older than ``retention_days`` (as a prefix) and re-anchor the chain.

    Only a prefix goes: the first event still inside the period and everything after it
    stay, even if a later event carries an older timestamp, so the chain never has a hole.
    The new start is signed (the anchor), so removing more by hand is still detected.
    """
    if log.signer is None:
        raise ConfigError("Audit retention needs the signing key to re-anchor the chain.")
    await log.ensure_head()
    cutoff = log.clock.now() - timedelta(days=retention_days)
    async with log.db.session() as session:
        # Lock the head so no append interleaves with the re-anchoring.
        head = (
            await session.execute(
                update(AuditHeadRow)
                .where(AuditHeadRow.id == HEAD_ID)
                .values(seq=AuditHeadRow.seq)
                .returning(AuditHeadRow.seq, AuditHeadRow.hash, AuditHeadRow.anchor_seq)
            )
        ).one()
        head_seq, head_hash, old_anchor = int(head[0]), bytes(head[1]), int(head[2])
        keep_from = await session.scalar(
            select(func.min(AuditEventRow.seq)).where(AuditEventRow.at >= cutoff)
        )
        new_anchor = int(keep_from) if keep_from is not None else head_seq + 1
        if new_anchor <= old_anchor:
            return PruneResult(0, old_anchor)
        if new_anchor <= head_seq:
            prev = await session.scalar(
                select(AuditEventRow.prev_hash).where(AuditEventRow.seq == new_anchor)
            )
            anchor_prev = bytes(prev) if prev is not None else head_hash
        else:
            anchor_prev = head_hash
        await session.execute(delete(AuditSubjectRow).where(AuditSubjectRow.seq < new_anchor))
        result = await session.execute(delete(AuditEventRow).where(AuditEventRow.seq < new_anchor))
        signature = log.signer.sign(anchor_message(log.log_id, new_anchor, anchor_prev))
        await session.execute(
            update(AuditHeadRow)
            .where(AuditHeadRow.id == HEAD_ID)
            .values(anchor_seq=new_anchor, anchor_prev=anchor_prev, anchor_signature=signature)
        )
        deleted = int(getattr(result, "rowcount", 0) or 0)
    await log.record(
        AuditEvent(
            kind="audit.retention",
            outcome="success",
            data={"deleted": deleted, "anchor_seq": new_anchor, "retention_days": retention_days},
        )
    )
    return PruneResult(deleted, new_anchor)
