"""What the console pages show, computed from the policy and the audit tables.

Audit reads are optional: when the audit area's tables are not installed the pages say
"not available" instead of failing. Events are read from their sealed records, which
hold categories, counts, ids and keyed hashes only: there is no raw value to leak.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from resguardo.policy.schema import Policy
from resguardo.store.db import Database

__all__ = [
    "AuditFilters",
    "EventPage",
    "outcome_counts",
    "policy_view",
    "recent_events",
]


def _audit_parts() -> tuple[Any, Any] | None:
    """The audit table and decoder, or None when the audit area is absent."""
    try:
        tables = importlib.import_module("resguardo.audit.tables")
        canonical = importlib.import_module("resguardo.audit.canonical")
    except ImportError:
        return None
    return tables.AuditEventRow, canonical.decode


def policy_view(policy: Policy) -> dict[str, Any]:
    """Workflows and providers as table rows (ids and declared facts, no credentials)."""
    workflows = [
        {
            "id": w.id,
            "purpose": w.purpose,
            "legal_basis": str(w.legal_basis) if w.legal_basis else "—",
            "categories": list(w.categories),
            "providers": list(w.providers),
            "environments": [str(e) for e in w.environments],
            "automated_decision": w.automated_decision,
            "human_review": w.human_review,
        }
        for w in policy.workflows
    ]
    providers = [
        {
            "id": p.id,
            "tier": str(p.tier),
            "trains_on_data": p.trains_on_data,
            "country": p.country,
            "region": p.region or "—",
            "transfer_mechanism": str(p.transfer_mechanism),
            "adapter": str(p.adapter),
        }
        for p in policy.providers
    ]
    return {"controller": policy.controller.name, "workflows": workflows,
            "providers": providers}


async def outcome_counts(db: Database, since: datetime,
                         kind_prefix: str = "gateway.") -> dict[str, int] | None:
    """Events per outcome since a moment (default: gateway requests); None without audit."""
    parts = _audit_parts()
    if parts is None:
        return None
    row = parts[0]
    stmt = (select(row.outcome, func.count())
            .where(row.at >= since, row.kind.like(kind_prefix.replace("%", "") + "%"))
            .group_by(row.outcome).order_by(row.outcome))
    async with db.session() as session:
        result = (await session.execute(stmt)).all()
    return {str(outcome): int(n) for outcome, n in result}


@dataclass(frozen=True)
class AuditFilters:
    """The audit page's filters; empty strings mean "any"."""

    workflow: str = ""
    kind: str = ""
    outcome: str = ""
    before: int | None = None  # page backwards from this sequence number
    limit: int = 50

    def used(self) -> list[str]:
        """Names of the filters in use (for the query's own audit event)."""
        return [n for n in ("workflow", "kind", "outcome") if getattr(self, n)]


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, and the cursor to the older page."""

    events: list[dict[str, Any]] = field(default_factory=list)
    older: int | None = None


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    data = record.get("data") or {}
    # The record's data holds counts, ids and codes only; show it compactly, keys sorted.
    details = ", ".join(f"{k}={_short(v)}" for k, v in sorted(data.items()))
    return {
        "seq": record.get("seq"),
        "at": record.get("at"),
        "kind": record.get("kind"),
        "outcome": record.get("outcome"),
        "actor": record.get("actor"),
        "workflow": record.get("workflow"),
        "environment": record.get("environment"),
        "categories": record.get("categories") or [],
        "subjects": len(record.get("subjects") or []),
        "details": details,
    }


def _short(value: Any) -> str:
    text = ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


async def recent_events(db: Database, filters: AuditFilters) -> EventPage | None:
    """The newest matching events (None without audit); pages go backwards by sequence."""
    parts = _audit_parts()
    if parts is None:
        return None
    row, decode = parts
    stmt = select(row.seq, row.canonical)
    for column, value in ((row.workflow, filters.workflow), (row.kind, filters.kind),
                          (row.outcome, filters.outcome)):
        if value:
            stmt = stmt.where(column == value)
    if filters.before is not None:
        stmt = stmt.where(row.seq < filters.before)
    stmt = stmt.order_by(row.seq.desc()).limit(filters.limit)
    async with db.session() as session:
        rows = (await session.execute(stmt)).all()
    events = [_summary(decode(bytes(canonical))) for _, canonical in rows]
    older = int(rows[-1][0]) if len(rows) == filters.limit else None
    return EventPage(events=events, older=older)

