"""Admin JSON API: login with password then TOTP, 2FA enrolment, API keys and admins.

Sessions ride in a ``__Host-`` cookie (Secure, HttpOnly, SameSite=Strict, path /);
every state-changing request must also echo the session's CSRF token in
``X-CSRF-Token`` (synchronizer token). ``require(permission)`` is the one dependency
other admin routers use to authorize by role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from resguardo.auth.bundle import AuthServices
from resguardo.auth.permissions import Permission, Role, has_permission
from resguardo.auth.principal import AdminPrincipal
from resguardo.auth.scopes import scopes_from_mapping
from resguardo.auth.sessions import STAGE_FULL, STAGE_PENDING, IssuedSession, SessionState
from resguardo.errors import ConfigError, Forbidden, InputError, Unauthenticated
from resguardo.services import Services

__all__ = ["COOKIE_NAME", "CSRF_HEADER", "PREFIX", "build_router", "require"]

PREFIX = "/api/admin"
COOKIE_NAME = "__Host-rsg_admin"  # __Host-: the browser enforces Secure, path /, no Domain
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=256)


class SecondFactorBody(_Body):
    code: str | None = Field(default=None, max_length=12)
    recovery_code: str | None = Field(default=None, max_length=40)


class CodeBody(_Body):
    code: str = Field(max_length=12)


class PasswordBody(_Body):
    current: str = Field(max_length=256)
    new: str = Field(max_length=256)


class KeyCreateBody(_Body):
    workflow: str = Field(max_length=64)
    environment: str = Field(max_length=8)
    name: str = Field(default="", max_length=120)
    scopes: dict[str, Any] = Field(default_factory=dict)
    expires_at: datetime | None = None


class RotateBody(_Body):
    grace_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)


class AdminCreateBody(_Body):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(max_length=256)
    role: str = Field(max_length=16)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def auth_of(request: Request) -> AuthServices:
    """The process's access-control services; fail closed when they were never wired."""
    auth = _services(request).auth
    if auth is None:
        raise ConfigError("Access control is not configured.", code="auth_not_configured")
    return auth


def client_ip(request: Request) -> str | None:
    """The peer address (proxy headers are not trusted here)."""
    return request.client.host if request.client else None


async def _session(request: Request) -> SessionState:
    return await auth_of(request).sessions.resolve(request.cookies.get(COOKIE_NAME))


def _check_csrf(request: Request, auth: AuthServices, state: SessionState) -> None:
    if request.method not in _SAFE_METHODS and not auth.sessions.csrf_ok(
            state, request.headers.get(CSRF_HEADER)):
        raise Forbidden("The CSRF token is missing or wrong.", code="csrf_failed")


def require(
    permission: Permission | str | None,
) -> Callable[[Request], Awaitable[AdminPrincipal]]:
    """FastAPI dependency: a full (2FA) session whose role holds ``permission``
    (``None``: any role, for an admin's own account)."""

    async def dependency(request: Request) -> AdminPrincipal:
        auth = auth_of(request)
        state = await _session(request)
        if state.stage != STAGE_FULL:
            raise Unauthenticated("Complete two-factor authentication first.",
                                  code="2fa_required")
        _check_csrf(request, auth, state)
        if permission is not None and not has_permission(state.role, permission):
            await auth.access_log.record("admin.denied", "failure", actor=state.admin_id,
                                         source_ip=client_ip(request),
                                         permission=str(permission), role=state.role)
            raise Forbidden("Your role does not allow this.", code="role_forbidden",
                            details={"permission": str(permission)})
        return AdminPrincipal(admin_id=state.admin_id, username=state.username, role=state.role,
                              session_ref=state.ref, source_ip=client_ip(request))

    # Introspectable, so one test can refuse every guarded route to every role without it.
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


async def _pending(request: Request) -> SessionState:
    """A password-only session (the 2FA step), CSRF-checked."""
    auth = auth_of(request)
    state = await _session(request)
    if state.stage != STAGE_PENDING:
        raise Forbidden("This step is only for a sign-in in progress.", code="wrong_stage")
    _check_csrf(request, auth, state)
    return state


Pending = Annotated[SessionState, Depends(_pending)]
AnyAdmin = Annotated[AdminPrincipal, Depends(require(None))]
KeysRead = Annotated[AdminPrincipal, Depends(require(Permission.KEYS_READ))]
KeysWrite = Annotated[AdminPrincipal, Depends(require(Permission.KEYS_WRITE))]
AdminsRead = Annotated[AdminPrincipal, Depends(require(Permission.ADMINS_READ))]
AdminsWrite = Annotated[AdminPrincipal, Depends(require(Permission.ADMINS_WRITE))]


def _set_cookie(response: Response, issued: IssuedSession) -> None:
    response.set_cookie(COOKIE_NAME, issued.session_id, httponly=True, secure=True,
                        samesite="strict", path="/")


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="strict")


def _require_json(request: Request) -> None:
    # A cross-site form can post text/plain without a preflight; JSON needs CORS consent.
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise InputError("Send JSON.", code="json_required")


def build_router(services: Services) -> APIRouter:
    """The admin API router (services are looked up per request from the app state)."""
    router = APIRouter(prefix=PREFIX, tags=["admin"])
    _ = services

    @router.post("/login")
    async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
        _require_json(request)
        auth = auth_of(request)
        ip = client_ip(request)
        admin = await auth.admins.check_password(body.username, body.password, ip)
        issued = await auth.sessions.start(admin, STAGE_PENDING, ip)
        _set_cookie(response, issued)
        return {"stage": "totp_required" if admin.totp_enabled else "enrolment_required",
                "csrf_token": issued.csrf_token}

    @router.post("/login/totp")
    async def login_totp(body: SecondFactorBody, request: Request, response: Response,
                         state: Pending) -> dict[str, Any]:
        auth = auth_of(request)
        if not state.totp_enabled:
            raise Forbidden("Enrol two-factor authentication first.", code="2fa_not_enrolled")
        if bool(body.code) == bool(body.recovery_code):
            raise InputError("Give a code or a recovery code.", code="invalid_request")
        await auth.admins.check_second_factor(state.admin_id, code=body.code,
                                              recovery_code=body.recovery_code,
                                              source_ip=client_ip(request))
        return await _upgrade(auth, state, request, response)

    @router.post("/2fa/enrol")
    async def enrol(request: Request,
                    state: Pending) -> dict[str, Any]:
        enrolment = await auth_of(request).admins.begin_enrolment(state.admin_id)
        return {"otpauth_uri": enrolment.uri, "secret": enrolment.seed}

    @router.post("/2fa/confirm")
    async def confirm(body: CodeBody, request: Request, response: Response,
                      state: Pending) -> dict[str, Any]:
        auth = auth_of(request)
        codes = await auth.admins.confirm_enrolment(state.admin_id, body.code,
                                                    source_ip=client_ip(request))
        result = await _upgrade(auth, state, request, response)
        result["recovery_codes"] = codes
        return result

    @router.post("/logout")
    async def logout(request: Request, response: Response) -> dict[str, Any]:
        auth = auth_of(request)
        state = await _session(request)
        _check_csrf(request, auth, state)
        await auth.sessions.end(state.id_hash)
        await auth.access_log.record("auth.admin.logout", "success", actor=state.admin_id,
                                     source_ip=client_ip(request))
        _clear_cookie(response)
        return {"ok": True}

    @router.get("/me")
    async def me(request: Request, admin: AnyAdmin) -> Any:
        return (await auth_of(request).admins.get(admin.admin_id)).to_dict()

    @router.post("/password")
    async def change_password(body: PasswordBody, request: Request, response: Response,
                              admin: AnyAdmin) -> Any:
        await auth_of(request).admins.change_password(admin.admin_id, body.current, body.new,
                                                      source_ip=admin.source_ip)
        _clear_cookie(response)
        return {"ok": True, "signed_out": True}

    _add_key_routes(router)
    _add_admin_routes(router)
    return router


async def _upgrade(auth: AuthServices, state: SessionState, request: Request,
                   response: Response) -> dict[str, Any]:
    """Replace the pending session with a fresh full one (no session fixation)."""
    await auth.sessions.end(state.id_hash)
    admin = await auth.admins.row(state.admin_id)
    issued = await auth.sessions.start(admin, STAGE_FULL, client_ip(request))
    _set_cookie(response, issued)
    await auth.access_log.record("auth.admin.session", "success", actor=state.admin_id,
                                 source_ip=client_ip(request))
    return {"stage": "full", "csrf_token": issued.csrf_token, "role": admin.role}


def _add_key_routes(router: APIRouter) -> None:
    """Keys CRUD; the secret appears only in the create and rotate responses."""

    @router.get("/keys")
    async def list_keys(request: Request, admin: KeysRead,
                        workflow: str | None = None) -> Any:
        auth = auth_of(request)
        now = auth.clock.now()
        keys = await auth.keys.list_keys(workflow_id=workflow)
        return {"keys": [k.to_dict(now) for k in keys]}

    @router.post("/keys", status_code=201)
    async def create_key(body: KeyCreateBody, request: Request,
                         admin: KeysWrite) -> Any:
        auth = auth_of(request)
        issued = await auth.keys.create(
            body.workflow, body.environment, name=body.name,
            scopes=scopes_from_mapping(body.scopes), expires_at=body.expires_at,
            actor=admin.admin_id, source_ip=admin.source_ip)
        return {"key": issued.token, **issued.info.to_dict(auth.clock.now())}

    @router.get("/keys/{key_id}")
    async def show_key(key_id: str, request: Request,
                       admin: KeysRead) -> Any:
        auth = auth_of(request)
        return (await auth.keys.show(key_id)).to_dict(auth.clock.now())

    @router.post("/keys/{key_id}/rotate")
    async def rotate_key(key_id: str, body: RotateBody, request: Request,
                         admin: KeysWrite) -> Any:
        auth = auth_of(request)
        issued = await auth.keys.rotate(key_id, grace=timedelta(seconds=body.grace_seconds),
                                        actor=admin.admin_id, source_ip=admin.source_ip)
        return {"key": issued.token, **issued.info.to_dict(auth.clock.now())}

    @router.post("/keys/{key_id}/revoke")
    async def revoke_key(key_id: str, request: Request,
                         admin: KeysWrite) -> Any:
        auth = auth_of(request)
        info = await auth.keys.revoke(key_id, actor=admin.admin_id, source_ip=admin.source_ip)
        return info.to_dict(auth.clock.now())


def _add_admin_routes(router: APIRouter) -> None:
    """Admins: list, create, disable, reset 2FA; owners are governed only by owners."""

    async def _guard_owner_target(auth: AuthServices, admin: AdminPrincipal, role: str) -> None:
        if role == Role.OWNER and not has_permission(admin.role, Permission.OWNERS_WRITE):
            await auth.access_log.record("admin.denied", "failure", actor=admin.admin_id,
                                         source_ip=admin.source_ip,
                                         permission=Permission.OWNERS_WRITE.value,
                                         role=admin.role)
            raise Forbidden("Only an owner may do this to an owner.", code="role_forbidden",
                            details={"permission": Permission.OWNERS_WRITE.value})

    @router.get("/admins")
    async def list_admins(request: Request,
                          admin: AdminsRead) -> Any:
        return {"admins": [a.to_dict() for a in await auth_of(request).admins.list_admins()]}

    @router.post("/admins", status_code=201)
    async def create_admin(body: AdminCreateBody, request: Request,
                           admin: AdminsWrite) -> Any:
        auth = auth_of(request)
        await _guard_owner_target(auth, admin, body.role)
        info = await auth.admins.create(body.username, body.password, body.role,
                                        actor=admin.admin_id, source_ip=admin.source_ip)
        return info.to_dict()

    @router.post("/admins/{admin_id}/disable")
    async def disable_admin(admin_id: str, request: Request,
                            admin: AdminsWrite) -> Any:
        auth = auth_of(request)
        await _guard_owner_target(auth, admin, (await auth.admins.get(admin_id)).role)
        info = await auth.admins.disable(admin_id, actor=admin.admin_id,
                                         source_ip=admin.source_ip)
        return info.to_dict()

    @router.post("/admins/{admin_id}/reset-2fa")
    async def reset_2fa(admin_id: str, request: Request,
                        admin: AdminsWrite) -> Any:
        auth = auth_of(request)
        await _guard_owner_target(auth, admin, (await auth.admins.get(admin_id)).role)
        info = await auth.admins.reset_2fa(admin_id, actor=admin.admin_id,
                                           source_ip=admin.source_ip)
        return info.to_dict()
