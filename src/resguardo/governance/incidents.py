"""The breach register (Art. 33/34) and the first-24-hours plan.

``open`` records the incident with its deadline (``policy.breach_deadline_hours`` after
discovery, 72 by default) and, in one step: revokes or rotates the implicated Resguardo
keys, records a to-do per provider credential (those live outside Resguardo), freezes the
audit range as evidence, computes the impact, and lists what remains to do.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import select

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.auth.keys import IssuedKey, KeyInfo
from resguardo.clock import Clock
from resguardo.errors import Conflict, InputError, NotFound
from resguardo.governance.evidence import EvidenceFreezer
from resguardo.governance.impact import IncidentScope, compute_impact
from resguardo.governance.observed import AuditReader
from resguardo.governance.tables import IncidentRow
from resguardo.policy.schema import Policy
from resguardo.store.db import Database

__all__ = ["BreachRegister", "Incident", "KeyAction", "KeyActions", "OpenedIncident"]

KeyAction = Literal["revoke", "rotate", "none"]
NATURES = frozenset({"confidentiality", "integrity", "availability"})
RISKS = frozenset({"unassessed", "unlikely", "risk", "high"})
NOTIFY_STATES = frozenset({"pending", "notified", "not_required"})


class KeyActions(Protocol):
    """The part of ``resguardo.auth.keys.KeyService`` an incident needs."""

    async def list_keys(self, *, workflow_id: str | None = None,
                        include_revoked: bool = True) -> list[KeyInfo]: ...

    async def revoke(self, key_id: str, *, actor: str | None = None,
                     source_ip: str | None = None) -> KeyInfo: ...

    async def rotate(self, key_id: str, *, grace: timedelta = ..., actor: str | None = None,
                     source_ip: str | None = None) -> IssuedKey: ...


@dataclass(frozen=True)
class Incident:
    """A read-only view of one register entry."""

    row: dict[str, Any]
    now: datetime

    @property
    def id(self) -> str:
        """The incident id."""
        return str(self.row["id"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the clock: hours elapsed and left to the deadline."""
        out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.row.items()}
        discovered: datetime = self.row["discovered_at"]
        deadline: datetime = self.row["deadline_at"]
        out["hours_elapsed"] = round((self.now - discovered) / timedelta(hours=1), 2)
        out["hours_left"] = round((deadline - self.now) / timedelta(hours=1), 2)
        out["overdue"] = self.row["authority_status"] == "pending" and self.now >= deadline
        out["remaining_tasks"] = [t for t in self.row["tasks"] if t["status"] != "done"]
        return out


@dataclass
class OpenedIncident:
    """The result of opening: the incident, and new key secrets shown once (rotation)."""

    incident: Incident
    rotated: list[IssuedKey] = field(default_factory=list)


_COLUMNS = [c.name for c in IncidentRow.__table__.columns]


def _view(row: IncidentRow, now: datetime) -> Incident:
    return Incident({name: getattr(row, name) for name in _COLUMNS}, now)


def _task(tid: str, label: str, *, done: bool = False, at: datetime | None = None,
          by: str | None = None) -> dict[str, Any]:
    return {"id": tid, "label": label, "status": "done" if done else "todo",
            "done_at": at.isoformat() if done and at else None, "done_by": by if done else None}


class BreachRegister:
    """Record, investigate and close personal-data breaches; every step is audited."""

    def __init__(self, db: Database, policy: Policy, clock: Clock, audit: AuditSink,
                 reader: AuditReader, *, keys: KeyActions | None = None,
                 evidence: EvidenceFreezer | None = None,
                 rotation_grace: timedelta = timedelta(0)) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.audit = audit
        self.reader = reader
        self.keys = keys
        self.evidence = evidence
        # No grace by default: a leaked secret must stop working now, not tomorrow.
        self.rotation_grace = rotation_grace

    @property
    def deadline(self) -> timedelta:
        """Time from discovery to the supervisory-authority deadline."""
        return timedelta(hours=self.policy.breach_deadline_hours)

    async def _record(self, kind: str, outcome: str, actor: str, incident_id: str,
                      **data: Any) -> None:
        await self.audit.record(AuditEvent(kind=kind, outcome=outcome, actor=actor,
                                           data={"incident": incident_id, **data},
                                           at=self.clock.now()))

    async def _implicated_keys(self, scope: IncidentScope) -> list[str]:
        if self.keys is None:
            return list(scope.key_ids)
        found = list(scope.key_ids)
        for wf in scope.workflows:
            for info in await self.keys.list_keys(workflow_id=wf, include_revoked=False):
                if info.key_id not in found:
                    found.append(info.key_id)
        return found

    async def open(
        self, *, title: str, opened_by: str, scope: IncidentScope,
        discovered_at: datetime | None = None, description: str = "",
        nature: Sequence[str] = ("confidentiality",), key_action: KeyAction = "revoke",
    ) -> OpenedIncident:
        """Register the breach and run the first-24-hours plan in one step."""
        now = self.clock.now()
        discovered = discovered_at or now
        if discovered > now:
            raise InputError("The discovery time is in the future.", code="invalid_discovery")
        if not set(nature) or not set(nature) <= NATURES:
            raise InputError("Nature is confidentiality, integrity and/or availability.",
                             code="invalid_nature")
        unknown = [w for w in scope.workflows if self.policy.workflow(w) is None]
        if unknown:
            raise InputError("A workflow in the scope is not in the policy.",
                             code="unknown_workflow", details={"workflows": unknown})
        iid = "inc_" + secrets.token_hex(8)
        tasks: list[dict[str, Any]] = []
        rotated: list[IssuedKey] = []
        key_ids = await self._implicated_keys(scope)
        for key_id in key_ids:
            if key_action == "none" or self.keys is None:
                tasks.append(_task(f"key:{key_id}", f"Revoke or rotate Resguardo key {key_id}"))
                continue
            if key_action == "rotate":
                rotated.append(await self.keys.rotate(key_id, grace=self.rotation_grace,
                                                      actor=opened_by))
                label = f"Rotated Resguardo key {key_id} (new secret issued once)"
            else:
                await self.keys.revoke(key_id, actor=opened_by)
                label = f"Revoked Resguardo key {key_id}"
            tasks.append(_task(f"key:{key_id}", label, done=True, at=now, by=opened_by))
        impact = await compute_impact(self.reader, self.policy, scope)
        tasks.append(_task("impact", "Compute the impact from the audit trail", done=True,
                           at=now, by=opened_by))
        evidence = None
        if self.evidence is not None:
            evidence = await self.evidence.freeze(iid, scope.since, scope.until)
            tasks.append(_task("evidence", "Freeze the audit range as evidence", done=True,
                               at=now, by=opened_by))
        else:
            tasks.append(_task("evidence", "Freeze the audit range as evidence "
                               "(`resguardo audit export` + checkpoint)"))
        tasks += self._remaining(scope, impact.providers)
        row = IncidentRow(
            id=iid, title=title[:500], description=description, nature=",".join(sorted(nature)),
            status="open", discovered_at=discovered, opened_at=now, opened_by=opened_by,
            deadline_at=discovered + self.deadline, scope=scope.to_dict(),
            impact={**impact.to_dict(), "computed_at": now.isoformat()}, evidence=evidence,
            measures=[], tasks=tasks, risk="unassessed", authority_status="pending",
            subjects_status="pending", alerts_sent=[],
        )
        async with self.db.session() as session:
            session.add(row)
        await self._record("incident.opened", "success", opened_by, iid,
                           keys=len(key_ids), key_action=key_action,
                           workflows=list(scope.workflows), categories=sorted(impact.categories),
                           subjects_approx=impact.subjects_approx)
        return OpenedIncident(_view(row, now), rotated)

    def _remaining(self, scope: IncidentScope, observed: Any) -> list[dict[str, Any]]:
        providers: list[str] = sorted(observed)
        for wf_id in scope.workflows:
            wf = self.policy.workflow(wf_id)
            for pid in wf.providers if wf else ():
                if pid not in providers:
                    providers.append(pid)
        tasks = []
        for pid in providers:
            p = self.policy.provider(pid)
            if p is not None and p.credential is not None:
                where = f"env {p.credential.env}" if p.credential.env else "its credential file"
                # Provider keys live outside Resguardo: only the operator can rotate them.
                tasks.append(_task(f"provider:{pid}", f"Rotate the credential of provider "
                                   f"{pid} at the provider, then update {where}"))
        h = self.policy.breach_deadline_hours
        tasks += [
            _task("risk", "Assess the risk to data subjects (unlikely / risk / high)"),
            _task("authority", f"Notify the {self.policy.controller.supervisory_authority} "
                  f"within {h} hours of discovery unless the risk is unlikely (Art. 33)"),
            _task("subjects", "Decide on telling data subjects; required for high risk "
                  "(Art. 34)"),
            _task("measures", "Record the measures taken to contain and mitigate the breach"),
            _task("root-cause", "Find the root cause and prevent recurrence"),
        ]
        return tasks

    async def _load(self, session: Any, incident_id: str) -> IncidentRow:
        row: IncidentRow | None = await session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFound("No such incident.", code="incident_not_found")
        return row

    async def get(self, incident_id: str) -> Incident:
        """One incident."""
        async with self.db.session() as session:
            return _view(await self._load(session, incident_id), self.clock.now())

    async def list_incidents(self, status: str | None = None) -> list[Incident]:
        """Every incident, newest first."""
        stmt = select(IncidentRow).order_by(IncidentRow.discovered_at.desc())
        if status is not None:
            stmt = stmt.where(IncidentRow.status == status)
        async with self.db.session() as session:
            rows = (await session.scalars(stmt)).all()
        now = self.clock.now()
        return [_view(r, now) for r in rows]

    async def _update(self, incident_id: str, by: str, kind: str, change: Any,
                      **data: Any) -> Incident:
        async with self.db.session() as session:
            row = await self._load(session, incident_id)
            if row.status == "closed" and kind != "incident.reopened":
                raise Conflict("The incident is closed.", code="incident_closed")
            change(row)
            view = _view(row, self.clock.now())
        await self._record(kind, "success", by, incident_id, **data)
        return view

    async def refresh_impact(self, incident_id: str, by: str) -> Incident:
        """Recompute the impact (the audit trail may hold more by now)."""
        current = await self.get(incident_id)
        impact = await compute_impact(self.reader, self.policy,
                                      IncidentScope.from_dict(current.row["scope"]))
        stamp = self.clock.now().isoformat()

        def change(row: IncidentRow) -> None:
            row.impact = {**impact.to_dict(), "computed_at": stamp}

        return await self._update(incident_id, by, "incident.impact", change,
                                  subjects_approx=impact.subjects_approx)

    async def add_measure(self, incident_id: str, text: str, by: str) -> Incident:
        """Record a measure taken or proposed (free text from the DPO; never audited)."""
        if not text.strip():
            raise InputError("Describe the measure.", code="empty_measure")
        at = self.clock.now().isoformat()

        def change(row: IncidentRow) -> None:
            row.measures = [*row.measures, {"at": at, "by": by, "text": text[:2000]}]

        return await self._update(incident_id, by, "incident.measure", change)

    async def complete_task(self, incident_id: str, task_id: str, by: str) -> Incident:
        """Mark a to-do as done."""
        at = self.clock.now()

        def change(row: IncidentRow) -> None:
            if not any(t["id"] == task_id for t in row.tasks):
                raise NotFound("No such task.", code="task_not_found")
            row.tasks = [_task(t["id"], t["label"], done=True, at=at, by=by)
                         if t["id"] == task_id and t["status"] != "done" else t
                         for t in row.tasks]

        return await self._update(incident_id, by, "incident.task_done", change, task=task_id)

    async def assess_risk(self, incident_id: str, risk: str, by: str) -> Incident:
        """Record the risk level; 'unlikely' waives the notification (Art. 33(1))."""
        if risk not in RISKS - {"unassessed"}:
            raise InputError("Risk is unlikely, risk or high.", code="invalid_risk")
        at = self.clock.now()

        def change(row: IncidentRow) -> None:
            row.risk = risk
            if risk == "unlikely" and row.authority_status == "pending":
                row.authority_status = "not_required"
            if risk != "high" and row.subjects_status == "pending":
                row.subjects_status = "not_required"
            row.tasks = [_task(t["id"], t["label"], done=True, at=at, by=by)
                         if t["id"] == "risk" else t for t in row.tasks]

        return await self._update(incident_id, by, "incident.risk", change, risk=risk)

    async def record_notification(
        self, incident_id: str, target: Literal["authority", "subjects"], status: str, by: str,
        *, reference: str | None = None, at: datetime | None = None,
    ) -> Incident:
        """Record that the authority or the data subjects were (or need not be) notified."""
        if target not in ("authority", "subjects") or status not in NOTIFY_STATES:
            raise InputError("Unknown notification target or status.",
                             code="invalid_notification")
        when = at or self.clock.now()

        def change(row: IncidentRow) -> None:
            if target == "authority":
                row.authority_status = status
                row.authority_notified_at = when if status == "notified" else None
                row.authority_reference = reference[:128] if reference else None
            else:
                row.subjects_status = status
                row.subjects_notified_at = when if status == "notified" else None
            if status != "pending":
                row.tasks = [_task(t["id"], t["label"], done=True, at=when, by=by)
                             if t["id"] == target else t for t in row.tasks]

        return await self._update(incident_id, by, "incident.notification", change,
                                  target=target, status=status)

    async def close(self, incident_id: str, by: str) -> Incident:
        """Close the incident; the authority question must be settled first."""
        now = self.clock.now()

        def change(row: IncidentRow) -> None:
            if row.authority_status == "pending":
                raise Conflict("Record the authority notification (or why it is not required) "
                               "before closing.", code="notification_pending")
            row.status, row.closed_at, row.closed_by = "closed", now, by

        return await self._update(incident_id, by, "incident.closed", change)
