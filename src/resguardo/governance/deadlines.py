"""Alerts as a breach's notification deadline nears: at 2/3, 11/12 and all of it elapsed.

With the default 72 hours that is 48 h, 66 h and 72 h after discovery. Each alert goes to
the audit trail and, when configured, to a webhook (Slack/Teams/n8n). A mark counts as
raised only once the webhook accepted it, so a failed delivery is retried on the next tick.
The clock is injected, so tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.clock import Clock
from resguardo.errors import ResguardoError
from resguardo.governance.tables import IncidentRow
from resguardo.monitor.webhook import WebhookTransport
from resguardo.store.db import Database

__all__ = ["DeadlineAlert", "DeadlineMonitor", "alert_marks"]

log = logging.getLogger("resguardo.governance")
_FRACTIONS = (2 / 3, 11 / 12, 1.0)


def alert_marks(deadline_hours: int) -> tuple[int, ...]:
    """Elapsed hours at which to alert: (48, 66, 72) for a 72-hour deadline."""
    return tuple(sorted({max(1, round(deadline_hours * f)) for f in _FRACTIONS}))


@dataclass(frozen=True)
class DeadlineAlert:
    """One alert raised for one incident."""

    incident: str
    title: str
    mark_hours: int
    hours_elapsed: float
    hours_left: float
    deadline_at: str
    level: str  # "warning" | "urgent" | "overdue"
    delivered: bool

    def body(self) -> dict[str, Any]:
        """The webhook payload (no personal data: ids, hours and the DPO's title)."""
        text = (f"Breach {self.incident}: {self.hours_elapsed:.0f} h since discovery, "
                f"{max(self.hours_left, 0):.0f} h left to notify the supervisory authority"
                if self.level != "overdue" else
                f"Breach {self.incident}: the notification deadline has passed")
        return {"text": text, "kind": "incident.deadline", "incident": self.incident,
                "level": self.level, "mark_hours": self.mark_hours,
                "hours_elapsed": self.hours_elapsed, "hours_left": self.hours_left,
                "deadline_at": self.deadline_at}


class DeadlineMonitor:
    """Checks open incidents against their deadline; call ``tick`` periodically."""

    def __init__(self, db: Database, clock: Clock, audit: AuditSink, deadline_hours: int, *,
                 transport: WebhookTransport | None = None, url: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.audit = audit
        self.marks = alert_marks(deadline_hours)
        self.transport = transport
        self.url = url

    async def _deliver(self, alert: DeadlineAlert) -> bool:
        if self.transport is None or not self.url:
            return True
        try:
            await self.transport.post_json(self.url, alert.body())
        except ResguardoError:
            return False
        return True

    async def tick(self) -> list[DeadlineAlert]:
        """Raise every alert that is due and not yet raised; returns what was raised."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = (await session.scalars(select(IncidentRow).where(
                IncidentRow.status != "closed", IncidentRow.authority_status == "pending"))).all()
            due = [(r.id, r.title, r.discovered_at, r.deadline_at, list(r.alerts_sent))
                   for r in rows]
        raised: list[DeadlineAlert] = []
        for iid, title, discovered, deadline, sent in due:
            elapsed = (now - discovered) / timedelta(hours=1)
            crossed = [m for m in self.marks if elapsed >= m and m not in sent]
            if not crossed:
                continue
            mark = max(crossed)  # several marks at once (server was down): say the latest
            level = "overdue" if mark == self.marks[-1] else \
                "urgent" if mark >= self.marks[-2] else "warning"
            alert = DeadlineAlert(iid, title, mark, round(elapsed, 2),
                                  round((deadline - now) / timedelta(hours=1), 2),
                                  deadline.isoformat(), level, False)
            delivered = await self._deliver(alert)
            alert = DeadlineAlert(**{**alert.__dict__, "delivered": delivered})
            await self.audit.record(AuditEvent(
                kind="incident.deadline", outcome=level, data={
                    "incident": iid, "mark_hours": mark, "hours_left": alert.hours_left,
                    "webhook": "delivered" if delivered else "failed"}, at=now))
            raised.append(alert)
            if delivered:
                marks = sorted(set(sent) | {m for m in self.marks if m <= mark})
                async with self.db.session() as session:
                    row = await session.get(IncidentRow, iid)
                    if row is not None:
                        row.alerts_sent = marks
        return raised

    async def run(self, stop: asyncio.Event, interval_seconds: float = 300.0) -> None:
        """Tick until ``stop`` is set (the server runs this as a background task)."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as exc:
                # Keep checking: a missed deadline alert is worse than a noisy log line.
                log.error("deadline check failed", extra={"error_class": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
