"""Governance API: reports, the breach register, the review queue, and review polling.

Admin routes sit under /api/admin and use ``require(permission)``; the automation polls
``GET /v1/reviews/{ticket}`` with its own API key (tickets resolve only for that workflow).
Needs ``services.extras["governance"]`` (a ``resguardo.governance.wiring.Governance``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from resguardo.auth.permissions import Permission
from resguardo.auth.principal import AdminPrincipal
from resguardo.errors import ConfigError, Unauthenticated
from resguardo.governance.datamap import build_datamap, render_svg
from resguardo.governance.dpia import assess_policy
from resguardo.governance.impact import IncidentScope
from resguardo.governance.incident_docs import aepd_notification, subject_notice
from resguardo.governance.observed import Observations, observe
from resguardo.governance.render import render_ropa
from resguardo.governance.review import ReviewQueue
from resguardo.governance.ropa import build_ropa
from resguardo.governance.transfers import international_transfers
from resguardo.governance.wiring import Governance
from resguardo.http.admin_routes import PREFIX, auth_of, client_ip, require
from resguardo.services import Services

__all__ = ["build_router"]

Reports = Annotated[AdminPrincipal, Depends(require(Permission.REPORTS_READ))]
Incidents = Annotated[AdminPrincipal, Depends(require(Permission.INCIDENTS_MANAGE))]
Reviews = Annotated[AdminPrincipal, Depends(require(Permission.REVIEW_MANAGE))]
Days = Annotated[int, Query(ge=0, le=3660)]
_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
          "csv": "text/csv; charset=utf-8", "json": "application/json",
          "svg": "image/svg+xml"}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenBody(_Body):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=10_000)
    workflows: list[str] = Field(default_factory=list, max_length=100)
    key_ids: list[str] = Field(default_factory=list, max_length=1000)
    since: datetime | None = None
    until: datetime | None = None
    discovered_at: datetime | None = None
    nature: list[Literal["confidentiality", "integrity", "availability"]] = ["confidentiality"]
    key_action: Literal["revoke", "rotate", "none"] = "revoke"


class TextBody(_Body):
    text: str = Field(min_length=1, max_length=2000)


class RiskBody(_Body):
    risk: Literal["unlikely", "risk", "high"]


class NotifyBody(_Body):
    target: Literal["authority", "subjects"]
    status: Literal["pending", "notified", "not_required"]
    reference: str | None = Field(default=None, max_length=128)
    at: datetime | None = None


class DecisionBody(_Body):
    decision: Literal["approve", "change", "reject"]
    reason: str = Field(min_length=1, max_length=4000)
    output: dict[str, Any] | None = None


def build_router(services: Services) -> APIRouter:
    """Governance routes over ``services.extras["governance"]``."""
    router = APIRouter()

    def gov() -> Governance:
        found = services.extras.get("governance")
        if not isinstance(found, Governance):
            raise ConfigError("Governance is not configured.", code="governance_not_configured")
        return found

    def queue() -> ReviewQueue:
        q = gov().reviews
        if q is None:
            raise ConfigError("The review queue is not configured.", code="review_not_configured")
        return q

    async def observed(days: int) -> Observations | None:
        if days == 0:
            return None
        now = services.clock.now()
        return await observe(gov().reader, now - timedelta(days=days), now)

    # -- reports -----------------------------------------------------------------------

    @router.get(f"{PREFIX}/governance/ropa")
    async def ropa(_: Reports, format: Literal["html", "md", "csv", "json"] = "json",
                   days: Days = 90) -> Response:
        obs = await observed(days)
        report = build_ropa(services.policy, obs, services.clock.now())
        dm = build_datamap(services.policy, obs) if format in ("html", "json") else None
        return Response(render_ropa(report, format, dm), media_type=_TYPES[format])

    @router.get(f"{PREFIX}/governance/datamap")
    async def datamap(_: Reports, format: Literal["svg", "json"] = "svg",
                      days: Days = 90) -> Any:
        m = build_datamap(services.policy, await observed(days))
        if format == "json":
            return m.to_dict()
        return Response(render_svg(m, f"Data map: {services.policy.controller.name}"),
                        media_type=_TYPES["svg"])

    @router.get(f"{PREFIX}/governance/dpia")
    async def dpia(_: Reports, days: Days = 90) -> list[dict[str, Any]]:
        return [a.to_dict() for a in assess_policy(services.policy, await observed(days))]

    @router.get(f"{PREFIX}/governance/transfers")
    async def transfers(_: Reports, days: Days = 90) -> list[dict[str, Any]]:
        return [t.to_dict() for t in international_transfers(services.policy,
                                                             await observed(days))]

    # -- breach register ---------------------------------------------------------------

    @router.get(f"{PREFIX}/incidents")
    async def incidents(_: Incidents, status: str | None = None) -> list[dict[str, Any]]:
        return [i.to_dict() for i in await gov().register.list_incidents(status)]

    @router.post(f"{PREFIX}/incidents", status_code=201)
    async def open_incident(admin: Incidents, body: OpenBody) -> dict[str, Any]:
        scope = IncidentScope(tuple(body.key_ids), tuple(body.workflows), body.since, body.until)
        opened = await gov().register.open(
            title=body.title, description=body.description, opened_by=admin.admin_id,
            scope=scope, discovered_at=body.discovered_at, nature=body.nature,
            key_action=body.key_action)
        # New secrets are in this response only: the single chance to hand them over.
        return {"incident": opened.incident.to_dict(),
                "rotated": [{"key_id": k.info.key_id, "token": k.token} for k in opened.rotated]}

    @router.get(f"{PREFIX}/incidents/{{incident_id}}")
    async def incident(_: Incidents, incident_id: str) -> dict[str, Any]:
        return (await gov().register.get(incident_id)).to_dict()

    @router.post(f"{PREFIX}/incidents/{{incident_id}}/measures")
    async def measure(admin: Incidents, incident_id: str, body: TextBody) -> dict[str, Any]:
        return (await gov().register.add_measure(incident_id, body.text,
                                                 admin.admin_id)).to_dict()

    @router.post(f"{PREFIX}/incidents/{{incident_id}}/tasks/{{task_id}}/done")
    async def task_done(admin: Incidents, incident_id: str, task_id: str) -> dict[str, Any]:
        return (await gov().register.complete_task(incident_id, task_id,
                                                   admin.admin_id)).to_dict()

    @router.post(f"{PREFIX}/incidents/{{incident_id}}/risk")
    async def risk(admin: Incidents, incident_id: str, body: RiskBody) -> dict[str, Any]:
        return (await gov().register.assess_risk(incident_id, body.risk,
                                                 admin.admin_id)).to_dict()

    @router.post(f"{PREFIX}/incidents/{{incident_id}}/notifications")
    async def notify(admin: Incidents, incident_id: str, body: NotifyBody) -> dict[str, Any]:
        return (await gov().register.record_notification(
            incident_id, body.target, body.status, admin.admin_id, reference=body.reference,
            at=body.at)).to_dict()

    @router.post(f"{PREFIX}/incidents/{{incident_id}}/refresh")
    async def refresh(admin: Incidents, incident_id: str) -> dict[str, Any]:
        return (await gov().register.refresh_impact(incident_id, admin.admin_id)).to_dict()

    @router.post(f"{PREFIX}/incidents/{{incident_id}}/close")
    async def close(admin: Incidents, incident_id: str) -> dict[str, Any]:
        return (await gov().register.close(incident_id, admin.admin_id)).to_dict()

    @router.get(f"{PREFIX}/incidents/{{incident_id}}/draft/{{kind}}")
    async def draft(_: Incidents, incident_id: str, kind: Literal["aepd", "subjects"],
                    format: Literal["md", "html"] = "md") -> Response:
        inc = await gov().register.get(incident_id)
        doc = (aepd_notification if kind == "aepd" else subject_notice)(inc, services.policy)
        text = doc.to_markdown() if format == "md" else doc.to_html()
        return Response(text, media_type=_TYPES[format])

    # -- review queue ------------------------------------------------------------------

    @router.get(f"{PREFIX}/reviews")
    async def reviews(_: Reviews, workflow: str | None = None) -> list[dict[str, Any]]:
        return [t.to_dict() for t in await queue().pending(workflow)]

    @router.get(f"{PREFIX}/reviews/stats")
    async def review_stats(_: Reviews) -> dict[str, Any]:
        return await queue().stats()

    @router.get(f"{PREFIX}/reviews/{{ticket_id}}/output")
    async def held(admin: Reviews, ticket_id: str) -> dict[str, Any]:
        return await queue().held_output(ticket_id, admin.admin_id, admin.role)

    @router.post(f"{PREFIX}/reviews/{{ticket_id}}/decision")
    async def decide(admin: Reviews, ticket_id: str, body: DecisionBody) -> dict[str, Any]:
        outcome = await queue().decide(ticket_id, admin.admin_id, admin.role, body.decision,
                                       body.reason, body.output)
        return outcome.ticket.to_dict()

    # -- the automation polls with its own key -----------------------------------------

    @router.get("/v1/reviews/{ticket_id}")
    async def poll(request: Request, ticket_id: str) -> dict[str, Any]:
        header = request.headers.get("authorization") or ""
        if header[:7].lower() != "bearer ":
            raise Unauthenticated()
        principal = await auth_of(request).authenticator.authenticate(
            header[7:].strip(), client_ip(request))
        return (await queue().outcome(ticket_id, principal)).to_dict()

    return router
