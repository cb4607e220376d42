"""Least privilege, everywhere: every endpoint × every way in that must fail.

Each refused request must give 401/403 with a machine-readable code and do nothing:
no row changes (keys, admins, sessions) and no upstream call. The gateway is not in this
area, so a stand-in route authenticates and authorizes exactly as the gateway must.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import httpx
import pytest
from auth_helpers import AdminClient, sign_in  # type: ignore[import-not-found]
from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from resguardo.auth.bundle import AuthServices
from resguardo.auth.principal import Principal, Scopes
from resguardo.auth.scopes import require_collection, require_endpoint, require_provider
from resguardo.auth.tables import AdminRow, AdminSessionRow, ApiKeyRow
from resguardo.testing import FrozenClock

UPSTREAM: list[str] = []


async def _principal(request: Request) -> Principal:
    auth: AuthServices = request.app.state.services.auth
    peer = request.client.host if request.client else None
    return await auth.authenticator.authenticate(request.headers.get("authorization"), peer)


KeyPrincipal = Annotated[Principal, Depends(_principal)]


def _stand_in_gateway() -> APIRouter:
    router = APIRouter()

    @router.post("/stand-in/v1/chat/completions")
    async def chat(request: Request, p: KeyPrincipal) -> dict[str, str]:
        policy = request.app.state.services.policy
        body = await request.json()
        require_endpoint(policy, p, "chat.completions")
        require_provider(policy, p, body["provider"])
        UPSTREAM.append("chat")
        return {"ok": "forwarded"}

    @router.post("/stand-in/v1/vault/{collection}/records")
    async def vault_write(collection: str, request: Request,
                          p: KeyPrincipal) -> dict[str, str]:
        policy = request.app.state.services.policy
        require_endpoint(policy, p, "vault")
        require_collection(policy, p, collection, write=True)
        UPSTREAM.append("vault")
        return {"ok": "stored"}

    return router


GATEWAY = [
    ("POST", "/stand-in/v1/chat/completions", {"model": "gpt-4o", "provider": "openai-eu"}),
    ("POST", "/stand-in/v1/vault/leads/records", {"fields": {}}),
]


async def _snapshot(auth: AuthServices) -> tuple[Any, ...]:
    async with auth.keys.db.session() as s:
        keys = [(r.key_id, r.secret_hash, r.revoked_at, r.secret_version)
                for r in (await s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.key_id))).all()]
        admins = [(r.admin_id, r.password_hash, r.disabled_at, r.totp_enabled, r.role)
                  for r in (await s.scalars(select(AdminRow).order_by(AdminRow.admin_id))).all()]
        live = sorted(r.id_hash for r in (await s.scalars(select(AdminSessionRow))).all()
                      if r.ended_at is None)
    return keys, admins, live


@pytest.fixture
async def world(http_app: Any, clock: FrozenClock) -> dict[str, Any]:
    """Keys for every failure case, plus the stand-in gateway mounted on the real app."""
    http_app.include_router(_stand_in_gateway())
    auth: AuthServices = http_app.state.services.auth
    UPSTREAM.clear()
    good = await auth.keys.create("leads", "live")
    revoked = await auth.keys.create("leads", "live")
    await auth.keys.revoke(revoked.info.key_id)
    expiring = await auth.keys.create("leads", "live", expires_at=clock.now() + timedelta(hours=1))
    test_env = await auth.keys.create("leads", "test")
    narrow = await auth.keys.create("leads", "live", scopes=Scopes(endpoints=("models",)))
    other = await auth.keys.create("voice", "live")
    fenced = await auth.keys.create("leads", "live", scopes=Scopes(networks=("10.0.0.0/8",)))
    clock.advance(timedelta(hours=2))
    secret = good.token.rsplit("_", 1)[1]
    wrong = good.token[:-1] + ("b" if secret[-1] != "b" else "c")
    return {
        "no key": (None, 401, "missing_credentials"),
        "malformed key": ("Bearer sk-proj-abc", 401, "malformed_key"),
        "wrong secret": (f"Bearer {wrong}", 401, "invalid_key"),
        "revoked": (f"Bearer {revoked.token}", 401, "key_revoked"),
        "expired": (f"Bearer {expiring.token}", 401, "key_expired"),
        "wrong environment": (f"Bearer {test_env.token}", 403, "wrong_environment"),
        "missing scope": (f"Bearer {narrow.token}", 403, "scope_missing"),
        "another workflow's resource": (f"Bearer {other.token}", 403, "scope_missing"),
        "outside allowed networks": (f"Bearer {fenced.token}", 403, "source_not_allowed"),
        "_good": good.token,
    }


KEY_CASES = ["no key", "malformed key", "wrong secret", "revoked", "expired",
             "wrong environment", "missing scope", "another workflow's resource",
             "outside allowed networks"]


@pytest.mark.parametrize("case", KEY_CASES)
async def test_gateway_refuses_and_does_nothing(http_app: Any, world: dict[str, Any],
                                                case: str) -> None:
    """Every gateway endpoint answers 401/403 with the case's code; nothing goes upstream."""
    header, status, code = world[case]
    auth = http_app.state.services.auth
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=http_app),
                               base_url="https://testserver")
    before = await _snapshot(auth)
    for method, path, body in GATEWAY:
        headers = {"authorization": header} if header else {}
        r = await client.request(method, path, json=body, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
    assert UPSTREAM == [] and await _snapshot(auth) == before


async def test_the_good_key_does_get_through(http_app: Any, world: dict[str, Any]) -> None:
    """The control: the same requests with a proper key are served."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=http_app),
                               base_url="https://testserver")
    for method, path, body in GATEWAY:
        r = await client.request(method, path, json=body,
                                 headers={"authorization": f"Bearer {world['_good']}"})
        assert r.status_code == 200, r.text
    assert UPSTREAM == ["chat", "vault"]


# (method, path template, body, permission-free?) for every admin route needing a full session.
ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None, bool]] = [
    ("GET", "/api/admin/me", None, True),
    ("POST", "/api/admin/password", {"current": "correct horse battery",
                                     "new": "a brand new passphrase"}, True),
    ("GET", "/api/admin/keys", None, False),
    ("POST", "/api/admin/keys", {"workflow": "leads", "environment": "live"}, False),
    ("GET", "/api/admin/keys/{key_id}", None, False),
    ("POST", "/api/admin/keys/{key_id}/rotate", {"grace_seconds": 0}, False),
    ("POST", "/api/admin/keys/{key_id}/revoke", None, False),
    ("GET", "/api/admin/admins", None, False),
    ("POST", "/api/admin/admins", {"username": "mallory", "password": "correct horse battery",
                                   "role": "admin"}, False),
    ("POST", "/api/admin/admins/{admin_id}/disable", None, False),
    ("POST", "/api/admin/admins/{admin_id}/reset-2fa", None, False),
]
PENDING_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/admin/login/totp", {"code": "123456"}),
    ("POST", "/api/admin/2fa/enrol", None),
    ("POST", "/api/admin/2fa/confirm", {"code": "123456"}),
]


async def _admin_world(http_app: Any, clock: FrozenClock,
                       world: dict[str, Any]) -> dict[str, Any]:
    owner = await sign_in(http_app, clock, "root", "owner")
    auditor = await sign_in(http_app, clock, "audra", "auditor")
    pending = await sign_in(http_app, clock, "penny", "admin", full=False)
    victim = await http_app.state.services.auth.admins.find("penny")
    key_id = (await http_app.state.services.auth.keys.list_keys())[0].key_id
    return {"owner": owner, "auditor": auditor, "pending": pending,
            "ids": {"key_id": key_id, "admin_id": victim.admin_id}}


def _bare(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver")


ADMIN_CASES = ["no session", "forged session", "api key instead of session",
               "session without 2FA", "CSRF missing", "CSRF wrong", "wrong role"]


@pytest.mark.parametrize("case", ADMIN_CASES)
async def test_admin_api_refuses_and_does_nothing(http_app: Any, clock: FrozenClock,
                                                  world: dict[str, Any], case: str) -> None:
    """Every admin route answers 401/403 with a clear code and changes no row."""
    w = await _admin_world(http_app, clock, world)
    auth = http_app.state.services.auth
    for method, template, body, self_service in ADMIN_ROUTES:
        path = template.format(**w["ids"])
        client: httpx.AsyncClient
        headers: dict[str, str] = {}
        if case == "no session":
            client, expect = _bare(http_app), (401, "session_invalid")
        elif case == "forged session":
            client, expect = _bare(http_app), (401, "session_invalid")
            client.cookies.set("__Host-rsg_admin", "A" * 43)
        elif case == "api key instead of session":
            client, expect = _bare(http_app), (401, "session_invalid")
            headers = {"authorization": f"Bearer {world['_good']}"}
        elif case == "session without 2FA":
            pending: AdminClient = w["pending"]
            client, expect, headers = pending.client, (401, "2fa_required"), pending.headers()
        elif case in ("CSRF missing", "CSRF wrong"):
            if method == "GET":
                continue  # reads need no CSRF token
            owner: AdminClient = w["owner"]
            client, expect = owner.client, (403, "csrf_failed")
            headers = {"X-CSRF-Token": "forged"} if case == "CSRF wrong" else {}
        else:
            if self_service:
                continue  # any role may read its own account or change its own password
            auditor: AdminClient = w["auditor"]
            client, expect, headers = auditor.client, (403, "role_forbidden"), auditor.headers()
        before = await _snapshot(auth)
        r = await client.request(method, path, json=body, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == expect, (case, method, path, r.text)
        assert await _snapshot(auth) == before, (case, method, path)


@pytest.mark.parametrize("case", ["no session", "full session", "CSRF missing"])
async def test_sign_in_steps_refuse_outside_a_pending_session(
    http_app: Any, clock: FrozenClock, world: dict[str, Any], case: str
) -> None:
    """The 2FA and enrolment steps exist only for a sign-in in progress, with its CSRF token."""
    w = await _admin_world(http_app, clock, world)
    auth = http_app.state.services.auth
    for method, path, body in PENDING_ROUTES:
        if case == "no session":
            client, headers, expect = _bare(http_app), {}, (401, "session_invalid")
        elif case == "full session":
            client, headers = w["owner"].client, w["owner"].headers()
            expect = (403, "wrong_stage")
        else:
            client, headers, expect = w["pending"].client, {}, (403, "csrf_failed")
        before = await _snapshot(auth)
        r = await client.request(method, path, json=body, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == expect, (case, path, r.text)
        assert await _snapshot(auth) == before


async def test_an_owner_cannot_be_bootstrapped_over_http(http_app: Any) -> None:
    """With no owner at all, the API has no way in: every admin route is 401."""
    r = await _bare(http_app).post("/api/admin/admins", json={
        "username": "eve", "password": "correct horse battery", "role": "owner"})
    assert r.status_code == 401
    assert await http_app.state.services.auth.admins.owner_count() == 0
