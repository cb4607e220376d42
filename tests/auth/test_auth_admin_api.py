"""The admin JSON API over the real app: sign-in flow, cookies, CSRF, keys and admins."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp
from auth_helpers import SEEDS, sign_in  # type: ignore[import-not-found]

from resguardo.testing import FrozenClock, MemoryAuditSink


async def test_full_sign_in_enrols_2fa_then_manages_keys(http_app: Any,
                                                         clock: FrozenClock) -> None:
    """Password → enrolment → confirm gives a full session that can issue and revoke keys."""
    auth = http_app.state.services.auth
    await auth.admins.create("root", "correct horse battery", "owner", actor="cli",
                             from_cli=True)
    await auth.admins.create("ana", "correct horse battery", "admin", actor="root")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=http_app),
                               base_url="https://testserver")
    r = await client.post("/api/admin/login",
                          json={"username": "ana", "password": "correct horse battery"})
    assert r.json()["stage"] == "enrolment_required"
    cookie = r.headers["set-cookie"].lower()
    assert all(flag in cookie for flag in ("httponly", "secure", "samesite=strict", "path=/"))
    assert cookie.startswith("__host-rsg_admin=")
    csrf = r.json()["csrf_token"]
    r = await client.post("/api/admin/2fa/enrol", headers={"X-CSRF-Token": csrf})
    seed = r.json()["secret"]
    assert r.json()["otpauth_uri"].startswith("otpauth://totp/")
    pending_cookie = client.cookies.get("__Host-rsg_admin")
    r = await client.post("/api/admin/2fa/confirm", headers={"X-CSRF-Token": csrf},
                          json={"code": pyotp.TOTP(seed).at(clock.now())})
    assert r.status_code == 200 and len(r.json()["recovery_codes"]) == 10
    csrf = r.json()["csrf_token"]
    # The pre-2FA session id is dead: no session fixation.
    assert client.cookies.get("__Host-rsg_admin") != pending_cookie
    h = {"X-CSRF-Token": csrf}
    r = await client.post("/api/admin/keys", headers=h, json={
        "workflow": "leads", "environment": "live", "name": "n8n",
        "scopes": {"endpoints": ["chat.completions"], "requests_per_minute": 60}})
    assert r.status_code == 201, r.text
    token, key_id = r.json()["key"], r.json()["key_id"]
    listed = (await client.get("/api/admin/keys")).json()["keys"]
    assert [k["key_id"] for k in listed] == [key_id] and token not in repr(listed)
    shown = (await client.get(f"/api/admin/keys/{key_id}")).json()
    assert "key" not in shown and shown["scopes"]["requests_per_minute"] == 60
    r = await client.post(f"/api/admin/keys/{key_id}/rotate", headers=h,
                          json={"grace_seconds": 0})
    assert r.json()["key"] != token and r.json()["key_id"] == key_id
    r = await client.post(f"/api/admin/keys/{key_id}/revoke", headers=h)
    assert r.json()["status"] == "revoked"


async def test_login_wrong_password_and_replayed_totp_are_401(http_app: Any,
                                                             clock: FrozenClock) -> None:
    """Bad password and a second use of the same TOTP code are both refused."""
    admin = await sign_in(http_app, clock, "root", "owner")
    r = await admin.client.post("/api/admin/login",
                                json={"username": "root", "password": "nope nope nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    # Sign in again within the same 30 s step: the code the first sign-in used is spent.
    info = await http_app.state.services.auth.admins.find("root")
    used = pyotp.TOTP(SEEDS[info.admin_id]).at(clock.now())
    again = httpx.AsyncClient(transport=httpx.ASGITransport(app=http_app),
                              base_url="https://testserver")
    r = await again.post("/api/admin/login",
                         json={"username": "root", "password": "correct horse battery"})
    r = await again.post("/api/admin/login/totp", json={"code": used},
                         headers={"X-CSRF-Token": r.json()["csrf_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_totp"


async def test_login_requires_json(http_app: Any) -> None:
    """A cross-site form post (not JSON) can't even attempt a login."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=http_app),
                               base_url="https://testserver")
    r = await client.post("/api/admin/login", content=b'{"username":"a","password":"b"}',
                          headers={"content-type": "text/plain"})
    assert r.status_code == 400


async def test_logout_ends_the_session(http_app: Any, clock: FrozenClock) -> None:
    """After logout the cookie no longer works."""
    admin = await sign_in(http_app, clock, "root", "owner")
    cookie = admin.client.cookies.get("__Host-rsg_admin")
    r = await admin.client.post("/api/admin/logout", headers=admin.headers())
    assert r.status_code == 200
    admin.client.cookies.set("__Host-rsg_admin", cookie or "")
    r = await admin.client.get("/api/admin/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_invalid"


async def test_admins_are_managed_by_role(http_app: Any, clock: FrozenClock,
                                          sink: MemoryAuditSink) -> None:
    """An admin can create a DPO but not an owner; disabling ends the target's sessions."""
    owner = await sign_in(http_app, clock, "root", "owner")
    admin = await sign_in(http_app, clock, "ana", "admin")
    r = await admin.client.post("/api/admin/admins", headers=admin.headers(), json={
        "username": "olga", "password": "correct horse battery", "role": "owner"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_forbidden"
    dpo = await sign_in(http_app, clock, "dora", "dpo")
    assert (await dpo.client.get("/api/admin/me")).json()["role"] == "dpo"
    dpo_id = (await dpo.client.get("/api/admin/me")).json()["admin_id"]
    r = await owner.client.post(f"/api/admin/admins/{dpo_id}/disable", headers=owner.headers())
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    r = await dpo.client.get("/api/admin/me")
    assert r.status_code == 401
    listed = (await owner.client.get("/api/admin/admins")).json()["admins"]
    assert {a["username"] for a in listed} == {"root", "ana", "dora"}
    assert any(e.kind == "admin.disabled" for e in sink.events)


async def test_password_change_signs_everyone_out(http_app: Any, clock: FrozenClock) -> None:
    """Changing the password ends this and every other session of the admin."""
    one = await sign_in(http_app, clock, "root", "owner")
    two = await sign_in(http_app, clock, "root", "owner")
    r = await one.client.post("/api/admin/password", headers=one.headers(), json={
        "current": "correct horse battery", "new": "an even longer passphrase"})
    assert r.status_code == 200
    for c in (one, two):
        assert (await c.client.get("/api/admin/me")).status_code == 401
