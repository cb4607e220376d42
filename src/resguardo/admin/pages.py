"""The console's signed-in pages: dashboard, API keys, audit trail, review queue, incidents.

Each page asks the gate for the permission the auth area's map requires; write actions
are POST forms carrying the session's CSRF token and end in a 303 redirect, except
key creation and rotation, whose response is the only place the secret ever appears.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response

from resguardo.admin.gate import ConsoleUser
from resguardo.admin.governance import (
    ReviewQueuePort,
    clean_reason,
    incident_rows,
    incidents_port,
    review_port,
)
from resguardo.admin.views import AuditFilters, outcome_counts, policy_view, recent_events
from resguardo.admin.web import Console, read_form, see_other
from resguardo.audit.events import AuditEvent
from resguardo.auth.permissions import Permission
from resguardo.auth.scopes import scopes_from_mapping
from resguardo.errors import Forbidden, InputError, NotFound

__all__ = ["DASHBOARD_WINDOW_HOURS", "OUTCOMES", "add_pages"]

DASHBOARD_WINDOW_HOURS = 24
OUTCOMES = ("forwarded", "masked", "blocked", "success", "failure")
# Notices are picked from this table by a short code, so no URL text is ever echoed.
_NOTICES = {
    "revoked": "Key revoked. It stops working from the next request.",
    "decided": "Decision recorded.",
    "updated": "Incident updated.",
}
# Ids in URLs are checked before any lookup: they also end up in audit events.
PathId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,80}$")]


def _notice(done: str | None) -> str | None:
    return _NOTICES.get(done or "")


def add_pages(router: APIRouter, console: Console) -> None:
    """Register every signed-in page on the console router."""
    _add_dashboard(router, console)
    _add_keys(router, console)
    _add_audit(router, console)
    _add_governance(router, console)


def _add_dashboard(router: APIRouter, console: Console) -> None:
    services = console.services

    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        user = await console.user(request, None)
        # Auditors read reports generated from the policy, so they may see it too.
        show_policy = user.can(Permission.POLICY_READ) or user.can(Permission.REPORTS_READ)
        counts = None
        if user.can(Permission.AUDIT_READ):
            since = services.clock.now() - timedelta(hours=DASHBOARD_WINDOW_HOURS)
            counts = await outcome_counts(services.db, since)
        return console.page("dashboard.html", user=user, active="dashboard",
                            policy=policy_view(services.policy) if show_policy else None,
                            counts=counts, window_hours=DASHBOARD_WINDOW_HOURS)


def _add_keys(router: APIRouter, console: Console) -> None:
    services = console.services

    async def keys_page(request: Request, user: ConsoleUser, *, status: int = 200,
                        error: str | None = None, notice: str | None = None) -> Response:
        if not user.can(Permission.KEYS_READ):  # a writer that may not read: not in the map
            raise Forbidden("Your role does not allow this.", code="role_forbidden")
        auth = console.auth(request)
        now = auth.clock.now()
        keys = [k.to_dict(now) for k in await auth.keys.list_keys()]
        return console.page(
            "keys.html", status=status, user=user, active="keys", keys=keys,
            can_write=user.can(Permission.KEYS_WRITE), error=error, notice=notice,
            workflows=[w.id for w in services.policy.workflows],
            environments=[str(e) for e in services.policy.environments])

    @router.get("/keys")
    async def keys(request: Request, done: str | None = Query(None, max_length=16)) -> Response:
        user = await console.user(request, Permission.KEYS_READ)
        return await keys_page(request, user, notice=_notice(done))

    def secret_page(user: ConsoleUser, heading: str, token: str, info: dict[str, Any]) -> Response:
        return console.page("key_secret.html", user=user, active="keys", heading=heading,
                            token=token, key=info)

    @router.post("/keys")
    async def create_key(request: Request) -> Response:
        form = await read_form(request)
        user = await console.user(request, Permission.KEYS_WRITE, form)
        auth = console.auth(request)
        scopes: dict[str, Any] = {}
        try:
            rpm = form.get("requests_per_minute", "").strip()
            if rpm:
                if not rpm.isdigit() or not 0 < int(rpm) <= 1_000_000:
                    raise InputError("Requests per minute must be a whole number.",
                                     code="invalid_scopes")
                scopes["requests_per_minute"] = int(rpm)
            issued = await auth.keys.create(
                form.get("workflow", "")[:64], form.get("environment", "")[:8],
                name=form.get("name", "").strip()[:120], scopes=scopes_from_mapping(scopes),
                actor=user.admin_id, source_ip=user.source_ip)
        except InputError as exc:
            return await keys_page(request, user, status=400, error=exc.message)
        return secret_page(user, "Key created", issued.token,
                           issued.info.to_dict(auth.clock.now()))

    @router.post("/keys/{key_id}/rotate")
    async def rotate_key(request: Request, key_id: PathId) -> Response:
        form = await read_form(request)
        user = await console.user(request, Permission.KEYS_WRITE, form)
        auth = console.auth(request)
        grace = form.get("grace_seconds", "86400")
        if not grace.isdigit():
            raise InputError("Choose how long the old secret stays valid.",
                             code="invalid_grace")
        issued = await auth.keys.rotate(key_id, grace=timedelta(seconds=int(grace)),
                                        actor=user.admin_id, source_ip=user.source_ip)
        return secret_page(user, "Key rotated", issued.token,
                           issued.info.to_dict(auth.clock.now()))

    @router.post("/keys/{key_id}/revoke")
    async def revoke_key(request: Request, key_id: PathId) -> Response:
        form = await read_form(request)
        user = await console.user(request, Permission.KEYS_WRITE, form)
        await console.auth(request).keys.revoke(key_id, actor=user.admin_id,
                                                source_ip=user.source_ip)
        return see_other("/console/keys?done=revoked")


def _add_audit(router: APIRouter, console: Console) -> None:
    services = console.services

    @router.get("/audit")
    async def audit(
        request: Request,
        workflow: str = Query("", max_length=64),
        kind: str = Query("", max_length=64),
        outcome: str = Query("", max_length=32),
        before: int | None = Query(None, ge=1),
    ) -> Response:
        user = await console.user(request, Permission.AUDIT_READ)
        filters = AuditFilters(workflow=workflow.strip(), kind=kind.strip(),
                               outcome=outcome.strip(), before=before)
        page = await recent_events(services.db, filters)
        sink = services.extras.get("audit_sink")
        if page is not None and sink is not None:
            # Reading the trail is itself on the trail: filter names and a count, no values.
            await sink.record(AuditEvent(
                kind="admin.audit.query", outcome="success", actor=user.admin_id,
                source_ip=user.source_ip,
                data={"filters": filters.used(), "count": len(page.events), "via": "console"}))
        older_href = None
        if page is not None and page.older is not None:
            query = {"workflow": filters.workflow, "kind": filters.kind,
                     "outcome": filters.outcome, "before": page.older}
            older_href = "/console/audit?" + urlencode({k: v for k, v in query.items() if v})
        return console.page("audit.html", user=user, active="audit", page=page,
                            filters=filters, older_href=older_href, outcomes=OUTCOMES,
                            workflows=[w.id for w in services.policy.workflows])


def _add_governance(router: APIRouter, console: Console) -> None:
    extras = console.services.extras

    def queue() -> ReviewQueuePort:
        port = review_port(extras)
        if port is None:
            raise NotFound("The review queue is not available.", code="not_available")
        return port

    @router.get("/review")
    async def review(request: Request, done: str | None = Query(None, max_length=16)) -> Response:
        user = await console.user(request, Permission.REVIEW_MANAGE)
        port = review_port(extras)
        items = list(await port.pending()) if port is not None else None
        return console.page("review.html", user=user, active="review", items=items,
                            notice=_notice(done))

    @router.get("/review/{ticket_id}")
    async def ticket(request: Request, ticket_id: PathId) -> Response:
        user = await console.user(request, Permission.REVIEW_MANAGE)
        output = await queue().held_output(ticket_id, user.admin_id, user.role)
        # Shown as indented JSON text inside <pre>, autoescaped like every other value.
        text = json.dumps(output, indent=2, ensure_ascii=False, sort_keys=True)
        return console.page("review_ticket.html", user=user, active="review",
                            ticket_id=ticket_id, output=text)

    @router.post("/review/{ticket_id}")
    async def decide(request: Request, ticket_id: PathId) -> Response:
        form = await read_form(request)
        user = await console.user(request, Permission.REVIEW_MANAGE, form)
        port = queue()
        decision = form.get("decision", "")
        if decision not in ("approve", "reject"):
            raise InputError("Choose approve or reject.", code="invalid_decision")
        await port.decide(ticket_id, user.admin_id, user.role, decision,
                          clean_reason(form.get("reason")))
        return see_other("/console/review?done=decided")

    @router.get("/incidents")
    async def incidents(request: Request,
                        done: str | None = Query(None, max_length=16)) -> Response:
        user = await console.user(request, Permission.INCIDENTS_MANAGE)
        port = incidents_port(extras)
        items = incident_rows(await port.list_incidents()) if port is not None else None
        return console.page("incidents.html", user=user, active="incidents", items=items,
                            notice=_notice(done))

    @router.post("/incidents/{incident_id}")
    async def update_incident(request: Request, incident_id: PathId) -> Response:
        form = await read_form(request)
        user = await console.user(request, Permission.INCIDENTS_MANAGE, form)
        port = incidents_port(extras)
        if port is None:
            raise NotFound("The breach register is not available.", code="not_available")
        action = form.get("action", "")
        if action in ("notified", "not_required"):
            await port.record_notification(incident_id, "authority", action, user.admin_id,
                                           reference=clean_reason(form.get("reason"))[:128])
        elif action == "closed":
            await port.close(incident_id, user.admin_id)
        else:
            raise InputError("Choose an action.", code="invalid_action")
        return see_other("/console/incidents?done=updated")
