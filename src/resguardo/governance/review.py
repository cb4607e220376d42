"""Human review of automated decisions (Art. 22(3)): the queue the gateway holds outputs in.

The gateway calls ``hold`` for a workflow with ``automated_decision`` and ``human_review``;
the model's output is personal data, so it is stored encrypted under a per-ticket data key
with a TTL. A reviewer holding ``review:manage`` (dpo, admin, owner) approves, changes or
rejects it with a reason; the automation polls ``outcome`` with its own key, or receives a
POST on its callback URL (an n8n Wait node's resume URL). Every step is audited without
the output or the reason (both may hold personal data); time-to-review is kept.
"""

from __future__ import annotations

import secrets
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import select

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.auth.permissions import Permission, has_permission
from resguardo.auth.principal import Principal
from resguardo.clock import Clock
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keycache import Owner
from resguardo.errors import Conflict, Forbidden, InputError, NotFound, ResguardoError
from resguardo.governance.tables import ReviewTicketRow
from resguardo.monitor.webhook import WebhookTransport
from resguardo.policy.schema import Policy, Workflow
from resguardo.store.db import Database

__all__ = ["Decision", "ReviewOutcome", "ReviewQueue", "ReviewTicket"]

Decision = Literal["approve", "change", "reject"]
_STATUS = {"approve": "approved", "change": "changed", "reject": "rejected"}
_TABLE = "governance_reviews"
_MAX_OUTPUT = 1_000_000


@dataclass(frozen=True)
class ReviewTicket:
    """Ticket metadata (no output): what the gateway returns and the queue lists."""

    id: str
    workflow: str
    environment: str
    request_id: str
    status: str
    held_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    reviewer: str | None = None
    review_seconds: float | None = None
    callback_status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ReviewOutcome:
    """What the automation receives: the decision and, unless rejected, the output."""

    ticket: ReviewTicket
    output: dict[str, Any] | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The polling answer and the callback body."""
        t = self.ticket
        return {"ticket": t.id, "request_id": t.request_id, "workflow": t.workflow,
                "status": t.status, "decided_at": t.decided_at.isoformat() if t.decided_at
                else None, "output": self.output, "reason": self.reason}


def _ticket(row: ReviewTicketRow) -> ReviewTicket:
    return ReviewTicket(row.id, row.workflow, row.environment, row.request_id, row.status,
                        row.held_at, row.expires_at, row.decided_at, row.reviewer,
                        row.review_seconds, row.callback_status)


class ReviewQueue:
    """Held outputs awaiting a person's decision."""

    def __init__(self, db: Database, policy: Policy, clock: Clock, audit: AuditSink,
                 encryptor: Encryptor, *, transport: WebhookTransport | None = None,
                 ttl: timedelta = timedelta(days=7),
                 keep_outcome: timedelta = timedelta(days=1)) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.audit = audit
        self.encryptor = encryptor
        self.transport = transport
        self.ttl = ttl
        self.keep_outcome = keep_outcome

    async def _seal(self, tid: str, part: str, value: dict[str, Any]) -> bytes:
        return await self.encryptor.encrypt(Owner("review", tid), orjson.dumps(value),
                                            table=_TABLE, record_id=f"{tid}:{part}")

    async def _open(self, tid: str, part: str, blob: bytes) -> dict[str, Any]:
        raw = await self.encryptor.decrypt(Owner("review", tid), blob, table=_TABLE,
                                           record_id=f"{tid}:{part}")
        value: dict[str, Any] = orjson.loads(raw)
        return value

    async def _record(self, kind: str, outcome: str, row: ReviewTicketRow,
                      actor: str | None, **data: Any) -> None:
        await self.audit.record(AuditEvent(
            kind=kind, outcome=outcome, actor=actor, workflow=row.workflow,
            environment=row.environment,
            data={"ticket": row.id, "request_id": row.request_id, **data}, at=self.clock.now()))

    async def hold(self, workflow: Workflow | str, principal: Principal, request_id: str,
                   output: dict[str, Any], callback_url: str | None = None) -> ReviewTicket:
        """Hold ``output`` for review; the automation gets the ticket instead of the output."""
        wf_id = workflow if isinstance(workflow, str) else workflow.id
        wf = self.policy.workflow(wf_id)
        if wf is None or not wf.human_review:
            raise InputError("This workflow does not hold outputs for review.",
                             code="review_not_configured")
        if principal.workflow_id != wf_id:
            raise Forbidden("The key belongs to another workflow.", code="workflow_mismatch")
        if callback_url is not None and not callback_url.lower().startswith(
                ("https://", "http://")):
            raise InputError("The callback URL must be http(s).", code="invalid_callback")
        body = orjson.dumps(output)
        if len(body) > _MAX_OUTPUT:
            raise InputError("The output is too large to hold.", code="output_too_large")
        now = self.clock.now()
        tid = "rev_" + secrets.token_hex(12)
        row = ReviewTicketRow(
            id=tid, workflow=wf_id, environment=principal.environment, key_id=principal.key_id,
            request_id=request_id[:64], status="pending", held_at=now, expires_at=now + self.ttl,
            payload=await self._seal(tid, "payload", {"output": output,
                                                      "callback_url": callback_url}),
            has_callback=callback_url is not None, callback_attempts=0,
        )
        # Audited before it is stored: an unaudited hold must not exist.
        await self._record("review.held", "pending", row, principal.key_id,
                           callback=callback_url is not None)
        async with self.db.session() as session:
            session.add(row)
        return _ticket(row)

    async def _row(self, session: Any, tid: str) -> ReviewTicketRow:
        row: ReviewTicketRow | None = await session.get(ReviewTicketRow, tid)
        if row is None:
            raise NotFound("No such review ticket.", code="review_not_found")
        return row

    async def ticket(self, tid: str) -> ReviewTicket:
        """One ticket's metadata."""
        async with self.db.session() as session:
            return _ticket(await self._row(session, tid))

    async def pending(self, workflow: str | None = None) -> list[ReviewTicket]:
        """Tickets waiting for a reviewer, oldest first."""
        stmt = select(ReviewTicketRow).where(ReviewTicketRow.status == "pending") \
            .order_by(ReviewTicketRow.held_at)
        if workflow is not None:
            stmt = stmt.where(ReviewTicketRow.workflow == workflow)
        async with self.db.session() as session:
            return [_ticket(r) for r in (await session.scalars(stmt)).all()]

    @staticmethod
    def _check_reviewer(role: str) -> None:
        # Defence in depth: the HTTP layer checks too, the CLI has only this.
        if not has_permission(role, Permission.REVIEW_MANAGE):
            raise Forbidden("Your role may not review automated decisions.",
                            code="role_forbidden")

    async def held_output(self, tid: str, reviewer: str, role: str) -> dict[str, Any]:
        """The held output, for the reviewer to read (the access is audited)."""
        self._check_reviewer(role)
        async with self.db.session() as session:
            row = await self._row(session, tid)
            if row.status != "pending" or row.payload is None:
                raise Conflict("The ticket is no longer pending.", code="review_closed")
            await self._record("review.viewed", "success", row, reviewer)
            return dict((await self._open(tid, "payload", row.payload))["output"])

    async def decide(self, tid: str, reviewer: str, role: str, decision: Decision, reason: str,
                     changed_output: dict[str, Any] | None = None) -> ReviewOutcome:
        """Approve, change or reject with a reason; then notify the callback, if any."""
        self._check_reviewer(role)
        if decision not in _STATUS:
            raise InputError("Decision is approve, change or reject.", code="invalid_decision")
        if not reason.strip():
            raise InputError("Give a reason for the decision.", code="reason_required")
        if (decision == "change") != (changed_output is not None):
            raise InputError("A changed output goes with 'change', and only with it.",
                             code="invalid_change")
        now = self.clock.now()
        async with self.db.session() as session:
            row = await self._row(session, tid)
            if row.status != "pending" or row.payload is None:
                raise Conflict("The ticket was already decided or expired.",
                               code="review_closed")
            if now >= row.expires_at:
                raise Conflict("The ticket expired.", code="review_expired")
            held = await self._open(tid, "payload", row.payload)
            output = None if decision == "reject" else (
                changed_output if decision == "change" else held["output"])
            row.outcome = await self._seal(tid, "outcome", {
                "output": output, "reason": reason[:4000], "callback_url": held["callback_url"]})
            row.payload = None  # the held copy is no longer needed
            row.status, row.decided_at = _STATUS[decision], now
            row.reviewer, row.reviewer_role = reviewer[:64], role
            row.review_seconds = (now - row.held_at).total_seconds()
            row.callback_status = "pending" if row.has_callback else None
            # Audited inside the transaction: an unaudited decision is rolled back.
            await self._record("review.decided", row.status, row, reviewer,
                               review_seconds=row.review_seconds, role=role)
            ticket = _ticket(row)
        outcome = ReviewOutcome(ticket, output, reason[:4000])
        if held["callback_url"]:
            ticket = await self._callback(tid, outcome, held["callback_url"])
            outcome = ReviewOutcome(ticket, output, outcome.reason)
        return outcome

    async def _callback(self, tid: str, outcome: ReviewOutcome, url: str) -> ReviewTicket:
        ok = False
        if self.transport is not None:
            try:
                await self.transport.post_json(url, outcome.to_dict())
                ok = True
            except ResguardoError:
                ok = False
        async with self.db.session() as session:
            row = await self._row(session, tid)
            row.callback_attempts += 1
            row.callback_status = "delivered" if ok else "failed"
            await self._record("review.callback", row.callback_status, row, None,
                               attempt=row.callback_attempts)
            return _ticket(row)

    async def outcome(self, tid: str, principal: Principal) -> ReviewOutcome:
        """The polling answer for the automation's key (same workflow and environment)."""
        async with self.db.session() as session:
            row = await self._row(session, tid)
            # Outputs resolve only in the scope that held them.
            if (row.workflow, row.environment) != (principal.workflow_id, principal.environment):
                raise NotFound("No such review ticket.", code="review_not_found")
            ticket = _ticket(row)
            blob = row.outcome
        if blob is None:
            return ReviewOutcome(ticket, None, None)
        data = await self._open(tid, "outcome", blob)
        return ReviewOutcome(ticket, data["output"], data["reason"])

    async def retry_callbacks(self) -> int:
        """Redeliver failed callbacks; returns how many were delivered."""
        async with self.db.session() as session:
            rows = (await session.scalars(select(ReviewTicketRow).where(
                ReviewTicketRow.callback_status == "failed",
                ReviewTicketRow.outcome.is_not(None)))).all()
            todo = [(r.id, _ticket(r), r.outcome) for r in rows]
        delivered = 0
        for tid, ticket, blob in todo:
            data = await self._open(tid, "outcome", blob or b"")
            result = await self._callback(tid, ReviewOutcome(ticket, data["output"],
                                                             data["reason"]),
                                          data["callback_url"])
            delivered += result.callback_status == "delivered"
        return delivered

    async def sweep(self) -> int:
        """Expire overdue tickets and shred outcomes past their keep time; returns count."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = (await session.scalars(select(ReviewTicketRow).where(
                ReviewTicketRow.purged_at.is_(None)))).all()
            expired, old = [], []
            for r in rows:
                if r.status == "pending" and now >= r.expires_at:
                    r.status, r.payload, r.purged_at = "expired", None, now
                    expired.append(r)
                elif r.decided_at is not None and now >= r.decided_at + self.keep_outcome:
                    r.outcome, r.purged_at = None, now
                    old.append(r)
            for r in expired:
                await self._record("review.expired", "expired", r, None)
        for r in expired + old:
            # Crypto-shredding: any copy of the ciphertext (backups) is unreadable now.
            await self.encryptor.keys.shred(Owner("review", r.id))
        return len(expired) + len(old)

    async def stats(self) -> dict[str, Any]:
        """Queue length, oldest pending age and time-to-review figures (seconds)."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = (await session.execute(select(
                ReviewTicketRow.status, ReviewTicketRow.held_at,
                ReviewTicketRow.review_seconds))).all()
        pending = [now - held for status, held, _ in rows if status == "pending"]
        times = sorted(float(s) for _, _, s in rows if s is not None)
        return {
            "pending": len(pending),
            "oldest_pending_seconds": max(pending).total_seconds() if pending else None,
            "reviewed": len(times),
            "median_review_seconds": statistics.median(times) if times else None,
            "p90_review_seconds": times[int(0.9 * (len(times) - 1))] if times else None,
            "max_review_seconds": times[-1] if times else None,
        }
