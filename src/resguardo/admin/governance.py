"""Console ports onto the governance area: the Art. 22 review queue and the breach register.

The ports name exactly the methods the console calls on
``resguardo.governance.review.ReviewQueue`` and ``resguardo.governance.incidents.
BreachRegister``, so the real objects plug in as they are: put them in
``services.extras`` under ``REVIEW_KEY`` / ``INCIDENTS_KEY``. Without them the pages
say "not available".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from resguardo.errors import InputError

__all__ = [
    "INCIDENTS_KEY",
    "MAX_REASON",
    "REVIEW_KEY",
    "IncidentsPort",
    "ReviewQueuePort",
    "clean_reason",
    "incident_rows",
    "incidents_port",
    "review_port",
]

REVIEW_KEY = "review_queue"
INCIDENTS_KEY = "breach_register"
MAX_REASON = 1000


@runtime_checkable
class ReviewQueuePort(Protocol):
    """What the review pages need (``ReviewQueue`` satisfies it)."""

    async def pending(self, workflow: str | None = None) -> Sequence[Any]:
        """Tickets waiting for a reviewer, oldest first (``ReviewTicket``)."""
        ...

    async def held_output(self, tid: str, reviewer: str, role: str) -> dict[str, Any]:
        """The held model output for the reviewer to read (the read is audited)."""
        ...

    async def decide(self, tid: str, reviewer: str, role: str, decision: Any,
                     reason: str, changed_output: dict[str, Any] | None = None) -> Any:
        """Approve or reject with a reason."""
        ...


@runtime_checkable
class IncidentsPort(Protocol):
    """What the incidents page needs (``BreachRegister`` satisfies it)."""

    async def list_incidents(self, status: str | None = None) -> Sequence[Any]:
        """Every incident, newest first (objects with ``to_dict()``)."""
        ...

    async def record_notification(self, incident_id: str, target: Any, status: str, by: str,
                                  *, reference: str | None = None,
                                  at: datetime | None = None) -> Any:
        """Record the authority (or subjects) notification, or why none is required."""
        ...

    async def close(self, incident_id: str, by: str) -> Any:
        """Close an incident whose authority question is settled."""
        ...


def review_port(extras: Mapping[str, Any]) -> ReviewQueuePort | None:
    """The review queue when the governance area is wired in."""
    port = extras.get(REVIEW_KEY)
    return port if isinstance(port, ReviewQueuePort) else None


def incidents_port(extras: Mapping[str, Any]) -> IncidentsPort | None:
    """The breach register when the governance area is wired in."""
    port = extras.get(INCIDENTS_KEY)
    return port if isinstance(port, IncidentsPort) else None


def incident_rows(incidents: Sequence[Any]) -> list[dict[str, Any]]:
    """Register entries as table rows: the 72-hour clock and the open questions."""
    rows = []
    for incident in incidents:
        d = incident.to_dict()
        rows.append({
            "id": d.get("id"), "title": d.get("title", ""), "status": d.get("status"),
            "risk": d.get("risk", "unassessed"), "discovered_at": d.get("discovered_at"),
            "deadline_at": d.get("deadline_at"), "hours_left": d.get("hours_left"),
            "overdue": bool(d.get("overdue")),
            "authority_status": d.get("authority_status", "pending"),
            "remaining_tasks": [t.get("label", "") for t in d.get("remaining_tasks", [])],
        })
    return rows


def clean_reason(reason: str | None) -> str:
    """A required, bounded, single-paragraph reason (it becomes part of the record)."""
    text = " ".join((reason or "").split())
    if not text:
        raise InputError("Give a reason for the decision.", code="reason_required")
    if len(text) > MAX_REASON:
        raise InputError("The reason is too long.", code="reason_too_long")
    return text
