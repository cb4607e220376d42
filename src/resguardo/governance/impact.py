"""A breach's footprint from the audit trail: categories, subjects, providers, keys.

The scope is a set of keys, workflows and a time window. Subjects are counted from the
distinct keyed subject hashes in matching events; gateway requests carry no subject hash,
so for those the count is estimated as the largest number of direct identifiers (names,
emails, phones, national ids) in each request, summed: an upper bound, stated as such.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from resguardo.governance.observed import AuditReader, AuditWindow, ObservedEvent
from resguardo.policy.schema import Policy

__all__ = ["IDENTIFIER_TYPES", "Impact", "IncidentScope", "compute_impact"]

IDENTIFIER_TYPES = frozenset({
    "PERSON", "EMAIL", "PHONE", "ES_DNI", "ES_NIE", "ES_NSS", "PASSPORT", "NATIONAL_ID",
    "US_SSN", "IBAN", "CREDIT_CARD",
})


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


@dataclass(frozen=True)
class IncidentScope:
    """What the breach may have touched: keys, workflows, a time window (``until`` exclusive)."""

    key_ids: tuple[str, ...] = ()
    workflows: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the incident)."""
        return {"key_ids": list(self.key_ids), "workflows": list(self.workflows),
                "since": _iso(self.since), "until": _iso(self.until)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IncidentScope:
        """Inverse of ``to_dict``."""
        def when(v: Any) -> datetime | None:
            return datetime.fromisoformat(v) if isinstance(v, str) else None

        return cls(tuple(d.get("key_ids") or ()), tuple(d.get("workflows") or ()),
                   when(d.get("since")), when(d.get("until")))

    def windows(self) -> list[AuditWindow]:
        """The audit queries covering the scope (one per key and per workflow)."""
        base = AuditWindow(since=self.since, until=self.until)
        out = [AuditWindow(since=self.since, until=self.until, actor=k) for k in self.key_ids]
        out += [AuditWindow(since=self.since, until=self.until, workflow=w)
                for w in self.workflows]
        return out or [base]


@dataclass
class Impact:
    """Approximate impact, for the register and the Art. 33(3) notification."""

    events: int = 0
    requests: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    special_categories: list[str] = field(default_factory=list)
    subjects_hashed: int = 0
    subjects_estimated: int = 0
    entity_counts: Counter[str] = field(default_factory=Counter)
    providers: Counter[str] = field(default_factory=Counter)
    workflows: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def subjects_approx(self) -> int:
        """Known subjects plus the estimate for requests without a subject hash."""
        return self.subjects_hashed + self.subjects_estimated

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the incident)."""
        return {
            "events": self.events, "requests": self.requests,
            "categories": dict(sorted(self.categories.items())),
            "special_categories": list(self.special_categories),
            "subjects_hashed": self.subjects_hashed,
            "subjects_estimated": self.subjects_estimated,
            "subjects_approx": self.subjects_approx,
            "entity_counts": dict(sorted(self.entity_counts.items())),
            "providers": dict(sorted(self.providers.items())),
            "workflows": list(self.workflows), "keys": list(self.keys),
            "first_at": _iso(self.first_at), "last_at": _iso(self.last_at),
            "method": "distinct subject hashes in the audit trail, plus, for gateway requests "
                      "(which carry none), the largest count of direct identifiers per "
                      "request summed over requests (an upper bound)",
        }


def _estimate(e: ObservedEvent) -> int:
    counts = e.data.get("entity_counts")
    if not isinstance(counts, Mapping):
        return 0
    return max([int(v) for k, v in counts.items() if k in IDENTIFIER_TYPES
                and isinstance(v, int)] + [0])


async def compute_impact(reader: AuditReader, policy: Policy, scope: IncidentScope) -> Impact:
    """Fold every audit event in ``scope`` into an ``Impact``."""
    impact = Impact()
    seen: set[int] = set()
    subjects: set[str] = set()
    workflows: set[str] = set()
    keys: set[str] = set()
    answered: dict[str, str] = {}
    for window in scope.windows():
        async for e in reader.events(window):
            if e.seq in seen:
                continue
            seen.add(e.seq)
            impact.events += 1
            impact.first_at = e.at if impact.first_at is None else min(impact.first_at, e.at)
            impact.last_at = e.at if impact.last_at is None else max(impact.last_at, e.at)
            if e.kind == "gateway.response" and isinstance(e.data.get("provider"), str):
                answered[str(e.data.get("request_id"))] = str(e.data["provider"])
                continue
            if e.outcome == "blocked" or e.kind.startswith(("auth.", "key.", "admin.")):
                continue  # nothing personal left the gateway, or no personal data involved
            touched = list(e.categories)
            collection = policy.collection(str(e.data.get("collection", "")))
            if collection is not None:
                touched.append(collection.category)
            if not touched and not e.subject_hashes:
                continue
            impact.categories.update(set(touched))
            subjects.update(e.subject_hashes)
            if e.workflow:
                workflows.add(e.workflow)
            if e.actor:
                keys.add(e.actor)
            if e.kind.startswith("gateway."):
                impact.requests += 1
                counts = e.data.get("entity_counts")
                if isinstance(counts, Mapping):
                    impact.entity_counts.update({str(k): int(v) for k, v in counts.items()
                                                 if isinstance(v, int)})
                if not e.subject_hashes:
                    impact.subjects_estimated += _estimate(e)
                rid = e.data.get("request_id")
                if isinstance(rid, str):
                    answered.setdefault(f"pending:{rid}", "")
    for rid, provider in answered.items():
        if not rid.startswith("pending:") and f"pending:{rid}" in answered:
            impact.providers[provider] += 1
    impact.subjects_hashed = len(subjects)
    impact.special_categories = sorted(
        c for c in impact.categories if (cat := policy.category(c)) is not None and cat.special)
    impact.workflows = sorted(workflows)
    impact.keys = sorted(keys)
    return impact
