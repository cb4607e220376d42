"""Rights requests: open by any identifier, verify identity, track and extend the deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update

from resguardo.audit.events import AuditEvent
from resguardo.clock import Clock
from resguardo.errors import Conflict, InputError, NotFound
from resguardo.rights.deadlines import EXTENSION_MONTHS, RESPONSE_MONTHS, add_months
from resguardo.rights.holds import LegalHolds
from resguardo.rights.tables import RightsRequestRow
from resguardo.vault.ports import AuditQuery, no_audit_history
from resguardo.vault.records import Vault
from resguardo.vault.subjects import new_id

__all__ = ["RightKind", "RightsConfig", "RightsRequest", "RightsRequests", "Status"]


class RightKind(StrEnum):
    """The GDPR articles a request exercises."""

    ACCESS = "access"  # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    PORTABILITY = "portability"  # Art. 20


class Status(StrEnum):
    """Where a request stands."""

    OPEN = "open"
    VERIFIED = "verified"
    BLOCKED = "blocked"  # erasure: data blocked (LOPDGDD Art. 32), shredding pending
    COMPLETED = "completed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RightsConfig:
    """How long erased data stays blocked before it is shredded (LOPDGDD Art. 32)."""

    blocking_period: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class RightsRequest:
    """A read-only view of a request (no personal value is ever stored in one)."""

    id: str
    kind: str
    environment: str
    status: str
    subject_id: str | None
    identifier_kind: str
    opened_at: datetime
    due_at: datetime
    extended: bool
    extension_reason: str | None
    verified_at: datetime | None
    verification_method: str | None
    block_until: datetime | None
    completed_at: datetime | None
    outcome: str | None

    @classmethod
    def of(cls, row: RightsRequestRow) -> RightsRequest:
        """View of a row."""
        return cls(
            row.id, row.kind, row.environment, row.status, row.subject_id, row.identifier_kind,
            row.opened_at, row.due_at, row.extended_at is not None, row.extension_reason,
            row.verified_at, row.verification_method, row.block_until, row.completed_at,
            row.outcome,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the subject id stays internal)."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "kind": self.kind, "environment": self.environment,
            "status": self.status, "subject_found": self.subject_id is not None,
            "identifier_kind": self.identifier_kind, "opened_at": iso(self.opened_at),
            "due_at": iso(self.due_at), "extended": self.extended,
            "extension_reason": self.extension_reason, "verified_at": iso(self.verified_at),
            "verification_method": self.verification_method,
            "block_until": iso(self.block_until), "completed_at": iso(self.completed_at),
            "outcome": self.outcome,
        }


class RightsRequests:
    """The lifecycle of requests; fulfilment lives in ``fulfil`` and ``erasure``."""

    def __init__(
        self,
        vault: Vault,
        holds: LegalHolds,
        clock: Clock,
        *,
        audit_query: AuditQuery = no_audit_history,
        config: RightsConfig | None = None,
    ) -> None:
        self.vault = vault
        self.db = vault.db
        self.holds = holds
        self.clock = clock
        self.audit_query = audit_query
        self.config = config or RightsConfig()

    async def open(
        self, kind: str, identifier_kind: str, identifier: str, *, environment: str, actor: str
    ) -> RightsRequest:
        """Open a request; the identifier only finds the subject and is never stored."""
        try:
            right = RightKind(kind)
        except ValueError:
            raise InputError("Unknown right.", code="invalid_right") from None
        subject_id = await self.vault.find_subject(environment, identifier_kind, identifier)
        now = self.clock.now()
        row = RightsRequestRow(
            id=new_id(), environment=environment, kind=right.value, subject_id=subject_id,
            identifier_kind=identifier_kind, status=Status.OPEN.value, opened_by=actor,
            opened_at=now, due_at=add_months(now, RESPONSE_MONTHS),
        )
        # Every step is audited before it is stored: no event, no step. (Outside the
        # transaction, because SQLite's single writer would block the audit log.)
        await self.step(row, "opened", actor, found=subject_id is not None)
        async with self.db.session() as session:
            session.add(row)
        return RightsRequest.of(row)

    async def verify(self, request_id: str, *, method: str, actor: str) -> RightsRequest:
        """Record how the requester's identity was verified (GDPR Art. 12(6))."""
        method = method.strip()[:64]
        if not method:
            raise InputError("Say how the identity was verified.", code="method_required")
        row = await self.load(request_id, live=True)
        if row.status != Status.OPEN:
            raise Conflict("The request is already verified.")
        await self.step(row, "verified", actor, method=method)
        return await self.apply(
            request_id, status=Status.VERIFIED.value, verified_at=self.clock.now(),
            verification_method=method, verified_by=actor,
        )

    async def extend(self, request_id: str, *, reason: str, actor: str) -> RightsRequest:
        """Add two months to the deadline, once, with the reason (Art. 12(3))."""
        if len(reason.strip()) < 8:
            raise InputError("An extension needs a reason.", code="reason_required")
        row = await self.load(request_id, live=True)
        if row.extended_at is not None:
            raise Conflict("The deadline was already extended.")
        due = add_months(row.due_at, EXTENSION_MONTHS)
        await self.step(row, "extended", actor, due_at=due.isoformat())
        return await self.apply(request_id, extended_at=self.clock.now(),
                                extension_reason=reason.strip(), due_at=due)

    async def reject(self, request_id: str, *, reason: str, actor: str) -> RightsRequest:
        """Close a request without acting (e.g. identity not verified), with the reason."""
        if len(reason.strip()) < 8:
            raise InputError("A rejection needs a reason.", code="reason_required")
        row = await self.load(request_id, live=True)
        if row.status == Status.BLOCKED:
            raise Conflict("The data is already blocked for erasure.")
        await self.step(row, "rejected", actor, reason=reason.strip()[:200])
        return await self.apply(request_id, status=Status.REJECTED.value,
                                completed_at=self.clock.now(), outcome="rejected")

    async def close(self, request_id: str, *, actor: str, outcome: str) -> RightsRequest:
        """Mark a request answered (e.g. after the last rectification)."""
        row = await self.load(request_id, live=True)
        if row.verified_at is None:
            raise Conflict("Verify the requester's identity first.", code="not_verified")
        outcome = outcome.strip()[:64] or "completed"
        await self.step(row, "completed", actor, outcome=outcome)
        return await self.apply(request_id, status=Status.COMPLETED.value,
                                completed_at=self.clock.now(), outcome=outcome)

    async def get(self, request_id: str) -> RightsRequest:
        """One request."""
        return RightsRequest.of(await self.load(request_id))

    async def find(
        self, *, environment: str | None = None, open_only: bool = False
    ) -> list[RightsRequest]:
        """Requests by deadline, soonest first."""
        query = select(RightsRequestRow).order_by(RightsRequestRow.due_at)
        if environment is not None:
            query = query.where(RightsRequestRow.environment == environment)
        if open_only:
            query = query.where(
                RightsRequestRow.status.in_([Status.OPEN, Status.VERIFIED, Status.BLOCKED])
            )
        async with self.db.session() as session:
            return [RightsRequest.of(r) for r in await session.scalars(query)]

    async def overdue(self) -> list[RightsRequest]:
        """Unanswered requests past their deadline."""
        now = self.clock.now()
        return [r for r in await self.find(open_only=True)
                if r.due_at < now and r.status != Status.BLOCKED]

    # -- shared by fulfilment ---------------------------------------------------------------

    async def load(self, request_id: str, *, live: bool = False) -> RightsRequestRow:
        """The request row (detached); ``live`` refuses closed requests."""
        async with self.db.session() as session:
            row = await session.get(RightsRequestRow, request_id)
        if row is None:
            raise NotFound("Unknown rights request.")
        if live and row.status in (Status.COMPLETED, Status.REJECTED):
            raise Conflict("The request is closed.")
        return row

    async def apply(self, request_id: str, **values: Any) -> RightsRequest:
        """Store new column values on a request and return its view."""
        async with self.db.session() as session:
            await session.execute(
                update(RightsRequestRow).where(RightsRequestRow.id == request_id).values(**values)
            )
        return await self.get(request_id)

    async def verified(self, request_id: str, *kinds: RightKind) -> RightsRequestRow:
        """A request of one of ``kinds`` whose identity check is done; Conflict otherwise."""
        row = await self.load(request_id, live=True)
        if row.kind not in kinds:
            raise Conflict("The request is of another kind.", details={"kind": row.kind})
        if row.verified_at is None:
            # Never hand out or destroy data for someone whose identity is unchecked.
            raise Conflict("Verify the requester's identity first.", code="not_verified")
        return row

    def subject_hash(self, subject_id: str | None) -> tuple[str, ...]:
        """The subject's audit hash, as event ``subject_hashes``."""
        return (self.vault.subjects.subject_hash(subject_id),) if subject_id else ()

    async def step(self, row: RightsRequestRow, step: str, actor: str, **data: Any) -> None:
        """Audit one step of a request (ids, kinds and counts only)."""
        await self.vault.crypto.audit.record(AuditEvent(
            kind=f"rights.{step}", outcome="success", actor=actor, environment=row.environment,
            at=self.clock.now(), subject_hashes=self.subject_hash(row.subject_id),
            data={"request_id": row.id, "right": row.kind, **data},
        ))
