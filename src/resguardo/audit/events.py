"""Audit event shape and the sink protocol every component writes to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = ["AuditEvent", "AuditSink"]


@dataclass(frozen=True)
class AuditEvent:
    """One decision or action. ``data`` holds categories, counts, ids and keyed hashes only."""

    kind: str  # e.g. "gateway.request", "auth.failure", "vault.read", "key.revoked"
    outcome: str  # e.g. "forwarded", "masked", "blocked", "success", "failure"
    actor: str | None = None  # key id or admin id, never a secret
    workflow: str | None = None
    environment: str | None = None
    source_ip: str | None = None
    subject_hashes: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # filled by the sink from its clock when None


class AuditSink(Protocol):
    """Durable writer; ``record`` raises AuditWriteFailed when the event is not stored."""

    async def record(self, event: AuditEvent) -> None: ...
