"""Vault API for automations (API key) and rights / legal-hold API for admins (role-checked).

Automations: ``/v1/vault/{collection}/records`` create, read, update, delete and look up
by subject identifier; each call is authorized by the key's workflow grant, its scopes
and its environment (a test key never reaches live records). Admins:
``/api/admin/rights``, ``/api/admin/holds`` and ``/api/admin/vault/break-glass``, all
behind ``require(Permission.RIGHTS_MANAGE)``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, ORJSONResponse
from pydantic import BaseModel, ConfigDict, Field

from resguardo.auth.principal import Principal
from resguardo.errors import ConfigError, InputError, Unauthenticated
from resguardo.rights.erasure import erase
from resguardo.rights.fulfil import export_subject, rectify_record
from resguardo.services import Services
from resguardo.vault.wiring import STACK_EXTRA, VaultStack

__all__ = ["RIGHTS_AUTHORIZE_EXTRA", "build_router"]

# Optional ``services.extras`` entry: an async ``(Request) -> actor id`` that replaces the
# admin session check (embedding, tests). Unset, the admin ``require`` dependency applies.
RIGHTS_AUTHORIZE_EXTRA = "rights_authorize"
_ID = Field(min_length=1, max_length=64)
_Environment = Literal["live", "test"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateBody(_Body):
    identifiers: dict[str, Annotated[str, Field(max_length=320)]] = Field(min_length=1)
    fields: dict[str, Any]


class UpdateBody(_Body):
    fields: dict[str, Any]
    replace: bool = False


class LookupBody(_Body):
    kind: str = Field(max_length=16)
    value: str = Field(min_length=1, max_length=320)


class OpenBody(_Body):
    kind: Literal["access", "rectification", "erasure", "portability"]
    identifier_kind: str = Field(max_length=16)
    identifier: str = Field(min_length=1, max_length=320)
    environment: _Environment = "live"


class MethodBody(_Body):
    method: str = Field(min_length=1, max_length=64)


class ReasonBody(_Body):
    reason: str = Field(min_length=8, max_length=500)


class OutcomeBody(_Body):
    outcome: str = Field(default="completed", max_length=64)


class RectifyBody(_Body):
    record_id: str = _ID
    fields: dict[str, Any] = Field(min_length=1)


class HoldBody(_Body):
    environment: _Environment = "live"
    reason: str = Field(min_length=8, max_length=500)
    collection: str | None = Field(default=None, max_length=64)
    identifier_kind: str | None = Field(default=None, max_length=16)
    identifier: str | None = Field(default=None, max_length=320)


class BreakGlassBody(_Body):
    environment: _Environment = "live"
    identifier_kind: str = Field(max_length=16)
    identifier: str = Field(min_length=1, max_length=320)
    reason: str = Field(min_length=8, max_length=500)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _admin(request: Request) -> str:
    """The acting admin's id: the injected check, else ``require(RIGHTS_MANAGE)``."""
    override = _services(request).extras.get(RIGHTS_AUTHORIZE_EXTRA)
    if override is not None:
        actor: str = await override(request)
        return actor
    from resguardo.auth.permissions import Permission
    from resguardo.http.admin_routes import require

    admin = await require(Permission.RIGHTS_MANAGE)(request)
    return f"admin:{admin.admin_id}"


async def _principal(request: Request) -> Principal:
    """The API key's principal (the gateway's authenticator); 401 when none is wired."""
    services = _services(request)
    auth = services.extras.get("authenticator") or (
        services.auth.authenticator if services.auth is not None else None
    )
    if auth is None:
        raise Unauthenticated()
    client = request.client
    principal: Principal = await auth.authenticate(
        _bearer(request), client.host if client else None
    )
    return principal


# Marked like require()'s dependencies, so the app-wide permission test covers these routes.
_admin.permission = "rights:manage"  # type: ignore[attr-defined]
Admin = Annotated[str, Depends(_admin)]
Key = Annotated[Principal, Depends(_principal)]


def build_router(services: Services) -> APIRouter:
    """The vault, rights and legal-hold routes (see the module docstring)."""
    router = APIRouter()

    async def stack() -> VaultStack:
        getter = services.extras.get(STACK_EXTRA)
        if getter is None:
            # Fail closed: without the vault wired nothing is stored or read.
            raise ConfigError("The vault is not configured.", code="vault_not_configured")
        built: VaultStack = await getter()
        return built

    # -- automations ---------------------------------------------------------------------

    @router.post("/v1/vault/{collection}/records", status_code=201)
    async def create_record(collection: str, body: CreateBody, principal: Key) -> Any:
        s = await stack()
        grant = await s.vault.authorize(principal, collection, "write")
        return (await s.vault.create(grant, body.identifiers, body.fields)).to_dict()

    @router.get("/v1/vault/{collection}/records/{record_id}")
    async def read_record(collection: str, record_id: str, principal: Key) -> Any:
        s = await stack()
        grant = await s.vault.authorize(principal, collection, "read")
        return (await s.vault.read(grant, record_id)).to_dict()

    @router.patch("/v1/vault/{collection}/records/{record_id}")
    async def update_record(
        collection: str, record_id: str, body: UpdateBody, principal: Key
    ) -> Any:
        s = await stack()
        grant = await s.vault.authorize(principal, collection, "write")
        return (await s.vault.update(grant, record_id, body.fields,
                                     replace=body.replace)).to_dict()

    @router.delete("/v1/vault/{collection}/records/{record_id}", status_code=204)
    async def delete_record(collection: str, record_id: str, principal: Key) -> Response:
        s = await stack()
        grant = await s.vault.authorize(principal, collection, "write")
        await s.vault.delete(grant, record_id)
        return Response(status_code=204)

    # A POST, not a GET: the identifier must not end up in URLs and access logs.
    @router.post("/v1/vault/{collection}/lookup")
    async def lookup(collection: str, body: LookupBody, principal: Key) -> Any:
        s = await stack()
        grant = await s.vault.authorize(principal, collection, "read")
        records = await s.vault.list_by_subject(grant, body.kind, body.value)
        return {"records": [r.to_dict() for r in records]}

    # -- rights requests -----------------------------------------------------------------

    @router.post("/api/admin/rights", status_code=201)
    async def open_request(body: OpenBody, actor: Admin) -> Any:
        s = await stack()
        req = await s.rights.open(body.kind, body.identifier_kind, body.identifier,
                                  environment=body.environment, actor=actor)
        return req.to_dict()

    @router.get("/api/admin/rights")
    async def list_requests(actor: Admin, open_only: bool = False) -> Any:
        s = await stack()
        return {"requests": [r.to_dict() for r in await s.rights.find(open_only=open_only)]}

    @router.get("/api/admin/rights/{request_id}")
    async def get_request(request_id: str, actor: Admin) -> Any:
        return (await (await stack()).rights.get(request_id)).to_dict()

    @router.post("/api/admin/rights/{request_id}/verify")
    async def verify(request_id: str, body: MethodBody, actor: Admin) -> Any:
        s = await stack()
        return (await s.rights.verify(request_id, method=body.method, actor=actor)).to_dict()

    @router.post("/api/admin/rights/{request_id}/extend")
    async def extend(request_id: str, body: ReasonBody, actor: Admin) -> Any:
        s = await stack()
        return (await s.rights.extend(request_id, reason=body.reason, actor=actor)).to_dict()

    @router.post("/api/admin/rights/{request_id}/reject")
    async def reject(request_id: str, body: ReasonBody, actor: Admin) -> Any:
        s = await stack()
        return (await s.rights.reject(request_id, reason=body.reason, actor=actor)).to_dict()

    @router.post("/api/admin/rights/{request_id}/close")
    async def close(request_id: str, body: OutcomeBody, actor: Admin) -> Any:
        s = await stack()
        return (await s.rights.close(request_id, actor=actor, outcome=body.outcome)).to_dict()

    @router.post("/api/admin/rights/{request_id}/export")
    async def export(request_id: str, actor: Admin, format: str = "json") -> Response:
        if format not in ("json", "html"):
            raise InputError("format is json or html.", details={"fields": ["format"]})
        package = await export_subject((await stack()).rights, request_id, actor=actor)
        headers = {"Cache-Control": "no-store"}  # a personal-data package is never cached
        if format == "html":
            return HTMLResponse(package.html, headers=headers)
        return Response(package.json_bytes, media_type="application/json", headers=headers)

    @router.post("/api/admin/rights/{request_id}/rectify")
    async def rectify(request_id: str, body: RectifyBody, actor: Admin) -> Any:
        s = await stack()
        record = await rectify_record(s.rights, request_id, record_id=body.record_id,
                                      fields=body.fields, actor=actor)
        return record.to_dict()

    @router.post("/api/admin/rights/{request_id}/erase")
    async def erase_request(request_id: str, actor: Admin) -> Any:
        return (await erase((await stack()).rights, request_id, actor=actor)).to_dict()

    # -- legal holds and break-glass ------------------------------------------------------

    @router.post("/api/admin/holds", status_code=201)
    async def place_hold(body: HoldBody, actor: Admin) -> Any:
        s = await stack()
        subject_id = None
        if body.identifier_kind and body.identifier:
            subject_id = await s.vault.find_subject(body.environment, body.identifier_kind,
                                                    body.identifier)
            if subject_id is None:
                raise InputError("No subject has this identifier.", code="subject_unknown")
        hold_id = await s.holds.place(
            environment=body.environment, reason=body.reason, actor=actor,
            subject_id=subject_id, collection=body.collection,
            subject_hash=s.vault.subjects.subject_hash(subject_id) if subject_id else None,
        )
        return {"id": hold_id}

    @router.get("/api/admin/holds")
    async def list_holds(actor: Admin) -> Any:
        holds = await (await stack()).holds.active()
        return {"holds": [{"id": h.id, "environment": h.environment,
                           "scope": "subject" if h.subject_id else "collection",
                           "collection": h.collection, "reason": h.reason,
                           "placed_by": h.placed_by, "placed_at": h.placed_at.isoformat()}
                          for h in holds]}

    @router.delete("/api/admin/holds/{hold_id}", status_code=204)
    async def release_hold(hold_id: str, actor: Admin) -> Response:
        await (await stack()).holds.release(hold_id, actor=actor)
        return Response(status_code=204)

    @router.post("/api/admin/vault/break-glass")
    async def break_glass(body: BreakGlassBody, actor: Admin) -> Any:
        s = await stack()
        subject_id = await s.vault.find_subject(body.environment, body.identifier_kind,
                                                body.identifier)
        if subject_id is None:
            raise InputError("No subject has this identifier.", code="subject_unknown")
        records = await s.vault.break_glass(actor=actor, environment=body.environment,
                                            subject_id=subject_id, reason=body.reason)
        return ORJSONResponse({"records": [r.to_dict() for r in records]},
                              headers={"Cache-Control": "no-store"})

    return router
