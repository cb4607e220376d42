"""Audit query, export, checkpoint and verify API for admins, and the Prometheus ``/metrics``.

Audit routes need an admin session holding ``audit:read`` (auditor, DPO, admin, owner);
each query or export is itself audited (filters by name, row count: never values).
``/metrics`` is open like any Prometheus target unless ``RESGUARDO_METRICS_TOKEN`` is set,
in which case it wants that bearer token; either way, keep it on a private network.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from resguardo.audit.events import AuditEvent
from resguardo.audit.query import (
    AuditQuery,
    csv_header,
    iter_events,
    query_events,
    to_csv,
    to_jsonl,
)
from resguardo.audit.verify import verify_log
from resguardo.audit.wiring import AuditComponents
from resguardo.auth.principal import AdminPrincipal
from resguardo.errors import ConfigError, Unauthenticated
from resguardo.monitor.metrics import CONTENT_TYPE
from resguardo.services import Services

__all__ = ["build_router"]

Guard = Callable[[Request], Awaitable[AdminPrincipal]]


def _guard(services: Services) -> Guard:
    guard = services.extras.get("audit_guard")
    if guard is not None:
        return guard  # type: ignore[no-any-return]
    from resguardo.auth.permissions import Permission
    from resguardo.http.admin_routes import require

    return require(Permission.AUDIT_READ)


def _components(services: Services) -> AuditComponents:
    parts = services.extras.get("audit")
    if not isinstance(parts, AuditComponents):
        raise ConfigError("The audit log is not configured.", code="audit_not_configured")
    return parts


def _filters(
    since: datetime | None = None,
    until: datetime | None = None,
    workflow: str | None = Query(None, max_length=64),
    key: str | None = Query(None, max_length=128),
    category: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=32),
    kind: str | None = Query(None, max_length=64),
    environment: str | None = Query(None, pattern=r"^(live|test)$"),
    subject_hash: str | None = Query(None, pattern=r"^[0-9a-f]{16,64}$"),
    after: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
) -> AuditQuery:
    return AuditQuery(since=since, until=until, workflow=workflow, actor=key, category=category,
                      outcome=action, kind=kind, environment=environment,
                      subject_hash=subject_hash, after_seq=after,
                      limit=limit)


Filters = Annotated[AuditQuery, Depends(_filters)]


def _used(q: AuditQuery) -> list[str]:
    names = ("since", "until", "workflow", "actor", "category", "outcome", "kind", "environment",
             "subject_hash")
    return [n for n in names if getattr(q, n) is not None]


def build_router(services: Services) -> APIRouter:
    """Routes under ``/admin/api/audit`` plus ``GET /metrics``."""
    router = APIRouter()
    guard = Depends(_guard(services))

    async def _trail(admin: AdminPrincipal, action: str, **data: Any) -> None:
        await _components(services).log.record(
            AuditEvent(kind=f"admin.audit.{action}", outcome="success", actor=admin.admin_id,
                       source_ip=admin.source_ip, data=data)
        )

    token = services.settings.metrics_token

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if token is not None:
            sent = request.headers.get("authorization", "")
            # Constant-time: the comparison must not reveal how much of a guess was right.
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                raise Unauthenticated("The metrics endpoint needs its bearer token.",
                                      code="metrics_token_required")
        return Response(_components(services).metrics.render(), media_type=CONTENT_TYPE)

    @router.get("/admin/api/audit/events")
    async def events(q: Filters, admin: AdminPrincipal = guard) -> dict[str, Any]:
        rows = await query_events(services.db, q)
        await _trail(admin, "query", filters=_used(q), count=len(rows))
        next_after = rows[-1]["seq"] if len(rows) == q.limit else None
        return {"events": rows, "next_after": next_after}

    @router.get("/admin/api/audit/export")
    async def export(
        q: Filters, admin: AdminPrincipal = guard, format: Literal["jsonl", "csv"] = "jsonl"
    ) -> StreamingResponse:
        await _trail(admin, "export", filters=_used(q), format=format)

        async def body() -> AsyncIterator[bytes]:
            if format == "csv":
                yield csv_header().encode()
            async for record in iter_events(services.db, q):
                yield (to_csv([record], header=False).encode() if format == "csv"
                       else to_jsonl([record]))

        media = "text/csv" if format == "csv" else "application/x-ndjson"
        headers = {"content-disposition": f'attachment; filename="audit.{format}"'}
        return StreamingResponse(body(), media_type=media, headers=headers)

    @router.post("/admin/api/audit/checkpoint")
    async def checkpoint(admin: AdminPrincipal = guard) -> dict[str, Any]:
        cp = await _components(services).log.checkpoint()
        await _trail(admin, "checkpoint", seq=cp.seq)
        return cp.to_json()

    @router.get("/admin/api/audit/verify")
    async def verify(admin: AdminPrincipal = guard) -> dict[str, Any]:
        parts = _components(services)
        report = await verify_log(services.db, parts.signer.public_key, log_id=parts.log.log_id)
        await _trail(admin, "verify", ok=report.ok, findings=len(report.findings))
        return report.to_json()

    return router
