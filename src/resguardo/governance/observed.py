"""What the audit trail says really happened: the ``AuditReader`` port and flow observations.

Reports compare the policy (what each workflow *may* send) with this (what it *did* send).
The gateway writes a ``gateway.request`` event (categories, entity counts, planned
providers) and a ``gateway.response`` event (the provider that answered) per request; the
two are joined by ``request_id``. Vault events name the collection they touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from resguardo.audit.events import AuditEvent
from resguardo.store.db import Database

__all__ = [
    "AuditReader",
    "AuditWindow",
    "DbAuditReader",
    "MemoryAuditReader",
    "Observations",
    "ObservedEvent",
    "WorkflowObservation",
    "observe",
]

_SENT = frozenset({"masked", "forwarded"})  # a blocked request sent nothing anywhere


@dataclass(frozen=True)
class AuditWindow:
    """Filters on the audit trail; every one given must match. ``until`` is exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    workflow: str | None = None
    actor: str | None = None  # key id or admin id
    kind: str | None = None
    outcome: str | None = None  # the action: forwarded / masked / blocked / ...
    category: str | None = None
    subject_hash: str | None = None


@dataclass(frozen=True)
class ObservedEvent:
    """One sealed audit event as governance reads it (no raw values ever reach here)."""

    seq: int
    at: datetime
    kind: str
    outcome: str
    actor: str | None
    workflow: str | None
    environment: str | None
    categories: tuple[str, ...]
    subject_hashes: tuple[str, ...]
    data: Mapping[str, Any]


class AuditReader(Protocol):
    """Streams matching audit events, oldest first."""

    def events(self, window: AuditWindow) -> AsyncIterator[ObservedEvent]: ...


def _categories(data: Mapping[str, Any]) -> tuple[str, ...]:
    raw = data.get("categories")
    if isinstance(raw, Mapping | list | tuple):
        return tuple(sorted(str(c) for c in raw))
    return ()


class DbAuditReader:
    """``AuditReader`` over the hash-chained log (``resguardo.audit.query``)."""

    def __init__(self, db: Database, page: int = 1000) -> None:
        self.db = db
        self.page = page

    async def events(self, window: AuditWindow) -> AsyncIterator[ObservedEvent]:
        """Every matching event, streamed page by page."""
        from resguardo.audit.canonical import parse_at
        from resguardo.audit.query import AuditQuery, iter_events

        query = AuditQuery(
            since=window.since, until=window.until, workflow=window.workflow,
            actor=window.actor, category=window.category, outcome=window.outcome,
            kind=window.kind, subject_hash=window.subject_hash,
        )
        async for record in iter_events(self.db, query, page=self.page):
            data = record.get("data") or {}
            yield ObservedEvent(
                seq=int(record["seq"]), at=parse_at(record["at"]), kind=record["kind"],
                outcome=record["outcome"], actor=record.get("actor"),
                workflow=record.get("workflow"), environment=record.get("environment"),
                categories=tuple(record.get("categories") or ()),
                subject_hashes=tuple(record.get("subjects") or ()), data=data,
            )


def _matches(event: ObservedEvent, w: AuditWindow) -> bool:
    checks = (
        w.since is None or event.at >= w.since,
        w.until is None or event.at < w.until,
        w.workflow is None or event.workflow == w.workflow,
        w.actor is None or event.actor == w.actor,
        w.kind is None or event.kind == w.kind,
        w.outcome is None or event.outcome == w.outcome,
        w.category is None or w.category in event.categories,
        w.subject_hash is None or w.subject_hash in event.subject_hashes,
    )
    return all(checks)


class MemoryAuditReader:
    """``AuditReader`` over in-memory events (``MemoryAuditSink.events``), for tests and demos."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        self._events = events

    async def events(self, window: AuditWindow) -> AsyncIterator[ObservedEvent]:
        """Matching events in insertion order (events without ``at`` are skipped)."""
        for seq, e in enumerate(list(self._events), start=1):
            if e.at is None:
                continue
            observed = ObservedEvent(
                seq=seq, at=e.at, kind=e.kind, outcome=e.outcome, actor=e.actor,
                workflow=e.workflow, environment=e.environment, categories=_categories(e.data),
                subject_hashes=tuple(e.subject_hashes), data=dict(e.data),
            )
            if _matches(observed, window):
                yield observed


@dataclass
class WorkflowObservation:
    """What one workflow really did in the window."""

    workflow: str
    requests: int = 0
    blocked: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    # provider id -> category -> requests that carried it there
    providers: dict[str, Counter[str]] = field(default_factory=dict)
    collections: Counter[str] = field(default_factory=Counter)
    entity_counts: Counter[str] = field(default_factory=Counter)
    subjects: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    first_at: datetime | None = None
    last_at: datetime | None = None

    def seen(self, at: datetime) -> None:
        """Widen the first/last timestamps to include ``at``."""
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)


@dataclass
class Observations:
    """Observed flows per workflow over a window."""

    since: datetime | None
    until: datetime | None
    workflows: dict[str, WorkflowObservation] = field(default_factory=dict)

    def of(self, workflow: str) -> WorkflowObservation:
        """The observation for ``workflow`` (empty when it never ran)."""
        return self.workflows.get(workflow) or WorkflowObservation(workflow)

    def monthly_requests(self, workflow: str) -> float:
        """Requests per 30 days, extrapolated from the window (0 when nothing was seen)."""
        obs = self.workflows.get(workflow)
        if obs is None or not obs.requests or obs.first_at is None:
            return 0.0
        start = self.since or obs.first_at
        end = self.until or obs.last_at or start
        days = max((end - start) / timedelta(days=1), 1.0)
        return obs.requests * 30.0 / days


async def observe(
    reader: AuditReader, since: datetime | None = None, until: datetime | None = None
) -> Observations:
    """Fold the audit trail in ``[since, until)`` into per-workflow observations."""
    result = Observations(since, until)
    pending: dict[str, tuple[str, tuple[str, ...]]] = {}  # request_id -> (workflow, categories)
    answered: dict[str, str] = {}  # request_id -> provider that answered
    planned: dict[str, str] = {}  # request_id -> first planned provider (fallback)
    async for e in reader.events(AuditWindow(since=since, until=until)):
        if e.workflow is None:
            continue
        obs = result.workflows.setdefault(e.workflow, WorkflowObservation(e.workflow))
        obs.subjects.update(e.subject_hashes)
        if e.kind in ("gateway.request", "gateway.protect"):
            obs.seen(e.at)
            if e.actor:
                obs.keys.add(e.actor)
            if e.outcome == "blocked":
                obs.blocked += 1
                continue
            obs.requests += 1
            cats = e.categories or _categories(e.data)
            obs.categories.update(cats)
            counts = e.data.get("entity_counts")
            if isinstance(counts, Mapping):
                obs.entity_counts.update({str(k): int(v) for k, v in counts.items()
                                          if isinstance(v, int)})
            rid = e.data.get("request_id")
            if e.kind == "gateway.request" and e.outcome in _SENT and isinstance(rid, str):
                pending[rid] = (e.workflow, cats)
                provider = e.data.get("provider")
                targets = e.data.get("providers")
                if isinstance(provider, str):
                    answered.setdefault(rid, provider)
                elif isinstance(targets, list) and targets and isinstance(targets[0], str):
                    planned[rid] = targets[0]
        elif e.kind == "gateway.response":
            rid, provider = e.data.get("request_id"), e.data.get("provider")
            if isinstance(rid, str) and isinstance(provider, str):
                answered[rid] = provider
        elif e.kind.startswith("vault.") and isinstance(e.data.get("collection"), str):
            obs.seen(e.at)
            obs.collections[str(e.data["collection"])] += 1
    for rid, (workflow, cats) in pending.items():
        provider = answered.get(rid) or planned.get(rid)
        if provider is None:
            continue
        flows = result.workflows[workflow].providers.setdefault(provider, Counter())
        flows.update(cats)  # a request without personal data still reached it
    return result

