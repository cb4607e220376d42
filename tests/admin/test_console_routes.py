"""The console over the real app: sign-in, 2FA, CSRF, roles, headers, keys, audit, governance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
from console_helpers import (  # type: ignore[import-not-found]
    FormClient,
    install_governance,
    make_admin,
    token_in,
)

from resguardo.admin.security import SECURITY_HEADERS
from resguardo.audit.events import AuditEvent
from resguardo.testing import FrozenClock


async def events_of(services: Any, kind: str) -> list[dict[str, Any]]:
    """Audit records of one kind (from the real log)."""
    from resguardo.audit.query import AuditQuery, query_events

    return await query_events(services.db, AuditQuery(kind=kind, limit=1000))


async def test_password_then_totp_reaches_the_dashboard(console: Any,
                                                        clock: FrozenClock) -> None:
    """Anonymous → login; a password-only session sees nothing; TOTP unlocks the dashboard."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    assert (await client.get("/console")).headers["location"] == "/console/dashboard"
    r = await client.get("/console/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    r = await client.login("root")
    assert r.status_code == 303 and r.headers["location"] == "/console/totp"
    for page in ("/console/dashboard", "/console/keys", "/console/audit"):
        r = await client.get(page)
        assert r.status_code == 303 and r.headers["location"] == "/console/totp"
    pending_cookie = client.http.cookies.get("__Host-rsg_admin")
    client.csrf = token_in((await client.get("/console/totp")).text)
    r = await client.post("/console/totp", {"code": pyotp.TOTP(seed).at(clock.now())})
    assert r.status_code == 303 and r.headers["location"] == "/console/dashboard"
    assert client.http.cookies.get("__Host-rsg_admin") != pending_cookie  # no fixation
    page = (await client.get("/console/dashboard")).text
    for text in ("Qualify inbound leads", "legitimate_interests", "automated decision",
                 "openai-eu", "scc", "US", "Acme Asesores SL"):
        assert text in page


async def test_wrong_password_and_wrong_code_are_refused_on_the_form(
        console: Any, clock: FrozenClock) -> None:
    """A bad password re-renders the form (401, no session); a bad code stays at the 2FA step."""
    app, services = console
    await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    r = await client.login("root", "not the password")
    assert r.status_code == 401 and "Wrong username or password." in r.text
    assert "__Host-rsg_admin" not in client.http.cookies
    r = await client.login("root")
    client.csrf = token_in((await client.get("/console/totp")).text)
    r = await client.post("/console/totp", {"code": "000000"})
    assert r.status_code == 401 and "The code is not valid." in r.text
    assert (await client.get("/console/dashboard")).headers["location"] == "/console/totp"


async def test_login_form_without_its_token_is_refused(console: Any, clock: FrozenClock) -> None:
    """Login CSRF: a post without the double-submit token, or with another one, gets 403."""
    app, services = console
    await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    form = {"username": "root", "password": "correct horse battery"}
    r = await client.post("/console/login", form, csrf=False)
    assert r.status_code == 403 and "__Host-rsg_admin" not in client.http.cookies
    await client.get("/console/login")
    r = await client.post("/console/login", {**form, "csrf_token": "forged"})
    assert r.status_code == 403 and "__Host-rsg_admin" not in client.http.cookies


async def test_first_login_enrols_totp_and_shows_recovery_codes_once(
        console: Any, clock: FrozenClock) -> None:
    """An admin without 2FA is sent to enrolment: QR + key, confirm, ten recovery codes."""
    app, services = console
    await make_admin(services, clock, "root", "owner", enrol=False)
    client = FormClient(app)
    r = await client.login("root")
    assert r.headers["location"] == "/console/enrol"
    assert (await client.get("/console/dashboard")).headers["location"] == "/console/totp"
    client.csrf = token_in((await client.get("/console/enrol")).text)
    page = (await client.post("/console/enrol/start", {})).text
    assert "<svg" in page
    seed = page.split('<code class="secret">')[1].split("</code>")[0]
    r = await client.post("/console/enrol/confirm", {"code": pyotp.TOTP(seed).at(clock.now())})
    assert r.status_code == 200 and r.text.count("<li><code>") == 10
    assert r.headers["cache-control"].startswith("no-store")
    assert (await client.get("/console/dashboard")).status_code == 200


async def test_key_secret_is_shown_once_and_never_listed(console: Any,
                                                         clock: FrozenClock) -> None:
    """Create shows the secret; the list doesn't; rotate shows a new one; revoke marks it."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    await client.sign_in("root", seed, clock)
    r = await client.post("/console/keys", {"workflow": "leads", "environment": "live",
                                            "name": "n8n <prod>", "requests_per_minute": "60"})
    assert r.status_code == 200 and "Key created" in r.text
    secret = r.text.split('id="secret" class="secret wide" readonly value="')[1].split('"')[0]
    assert secret.startswith("rsg_")
    listing = (await client.get("/console/keys")).text
    assert secret not in listing and secret.split("_")[-1] not in listing
    assert "n8n &lt;prod&gt;" in listing and "<prod>" not in listing  # autoescaped
    key_id = (await services.auth.keys.list_keys())[0].key_id
    r = await client.post(f"/console/keys/{key_id}/rotate", {"grace_seconds": "0"})
    rotated = r.text.split('readonly value="')[1].split('"')[0]
    assert r.status_code == 200 and rotated != secret and "Key rotated" in r.text
    r = await client.post(f"/console/keys/{key_id}/revoke", {})
    assert r.status_code == 303 and r.headers["location"] == "/console/keys?done=revoked"
    listing = (await client.get("/console/keys?done=revoked")).text
    assert "badge-revoked" in listing and "Key revoked." in listing
    assert secret not in listing and rotated not in listing


async def test_bad_key_form_re_renders_with_the_reason(console: Any, clock: FrozenClock) -> None:
    """An unknown workflow or a bad rate is a 400 page that keeps the form."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    await client.sign_in("root", seed, clock)
    r = await client.post("/console/keys", {"workflow": "nope", "environment": "live"})
    assert r.status_code == 400 and "not in the policy" in r.text and "Create key" in r.text
    r = await client.post("/console/keys", {"workflow": "leads", "environment": "live",
                                            "requests_per_minute": "lots"})
    assert r.status_code == 400 and "whole number" in r.text
    assert await services.auth.keys.list_keys() == []


async def test_posts_without_the_session_token_are_refused(console: Any,
                                                           clock: FrozenClock) -> None:
    """Missing or wrong CSRF token: 403 page, and nothing changes."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    await client.sign_in("root", seed, clock)
    form = {"workflow": "leads", "environment": "live"}
    r = await client.post("/console/keys", form, csrf=False)
    assert r.status_code == 403 and "csrf_failed" in r.text
    r = await client.post("/console/keys", {**form, "csrf_token": "x" * 43})
    assert r.status_code == 403
    r = await client.post("/console/logout", {}, csrf=False)
    assert r.status_code == 403
    assert await services.auth.keys.list_keys() == []
    r = await client.http.post("/console/keys", json={**form, "csrf_token": client.csrf})
    assert r.status_code == 400  # only urlencoded forms are read
    assert (await client.get("/console/dashboard")).status_code == 200


async def test_roles_follow_the_permission_map(console: Any, clock: FrozenClock) -> None:
    """Auditor: dashboard and audit, not keys (403, logged); DPO: review, not keys."""
    app, services = console
    seed = await make_admin(services, clock, "aud", "auditor")
    auditor = FormClient(app)
    await auditor.sign_in("aud", seed, clock)
    dash = (await auditor.get("/console/dashboard")).text
    assert "/console/audit" in dash and "/console/keys" not in dash and "openai-eu" in dash
    assert (await auditor.get("/console/audit")).status_code == 200
    r = await auditor.get("/console/keys")
    assert r.status_code == 403 and "role_forbidden" in r.text
    r = await auditor.post("/console/keys", {"workflow": "leads", "environment": "live"})
    assert r.status_code == 403 and await services.auth.keys.list_keys() == []
    denied = await events_of(services, "admin.denied")
    assert denied and all(e["data"]["permission"] == "keys:write" or
                          e["data"]["permission"] == "keys:read" for e in denied)
    seed = await make_admin(services, clock, "dpo", "dpo")
    dpo = FormClient(app)
    await dpo.sign_in("dpo", seed, clock)
    assert (await dpo.get("/console/review")).status_code == 200
    assert (await dpo.get("/console/incidents")).status_code == 200
    assert (await dpo.get("/console/keys")).status_code == 403


async def test_every_console_response_carries_the_security_headers(
        console: Any, clock: FrozenClock) -> None:
    """CSP, frame denial, no referrer, no-store: on pages, redirects and refusals alike."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    responses = [await client.get("/console/login"), await client.get("/console/dashboard"),
                 await client.post("/console/login", {}, csrf=False)]
    await client.sign_in("root", seed, clock)
    responses += [await client.get(p) for p in ("/console/dashboard", "/console/keys",
                                                "/console/audit", "/console/review")]
    for r in responses:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (r.url, name)
    csp = responses[0].headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    css = await client.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await client.get("/console/static/..%2Fpages.py")).status_code == 404


async def test_idle_session_expires_to_the_login_page(console: Any, clock: FrozenClock) -> None:
    """After the idle timeout every page redirects to sign-in and says the session ended."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    await client.sign_in("root", seed, clock)
    clock.advance(timedelta(minutes=31))
    r = await client.get("/console/keys")
    assert r.status_code == 303 and r.headers["location"] == "/console/login?expired=1"
    assert "Your session has ended" in (await client.get(r.headers["location"])).text


async def test_logout_ends_the_session_on_the_server(console: Any, clock: FrozenClock) -> None:
    """Sign-out kills the session: replaying the old cookie gets the login page."""
    app, services = console
    seed = await make_admin(services, clock, "root", "owner")
    client = FormClient(app)
    await client.sign_in("root", seed, clock)
    cookies = dict(client.http.cookies)
    r = await client.post("/console/logout", {})
    assert r.status_code == 303 and r.headers["location"] == "/console/login?signed_out=1"
    replay = FormClient(app)
    replay.http.cookies.update(cookies)
    assert (await replay.get("/console/dashboard")).headers["location"].startswith(
        "/console/login")
    assert await events_of(services, "auth.admin.logout")


async def test_dashboard_counts_and_audit_filters(console: Any, clock: FrozenClock) -> None:
    """Gateway outcomes are counted; the audit page filters and audits its own query."""
    app, services = console
    log = services.extras["audit"].log
    for outcome in ("forwarded", "forwarded", "masked", "blocked"):
        await log.record(AuditEvent(kind="gateway.request", outcome=outcome, actor="k1",
                                    workflow="leads", environment="live",
                                    data={"categories": ["personal"], "entities": 2}))
    seed = await make_admin(services, clock, "aud", "auditor")
    client = FormClient(app)
    await client.sign_in("aud", seed, clock)
    dash = (await client.get("/console/dashboard")).text
    assert '<span class="n">2</span> <span class="label">forwarded</span>' in dash
    assert '<span class="n">1</span> <span class="label">blocked</span>' in dash
    page = (await client.get("/console/audit?workflow=leads&outcome=blocked")).text
    assert page.count('<span class="badge badge-blocked">') == 1 and "entities=2" in page
    page = (await client.get("/console/audit?kind=nothing.here")).text
    assert "No matching events." in page
    queries = await events_of(services, "admin.audit.query")
    assert queries[0]["data"]["filters"] == ["workflow", "outcome"]


async def test_review_and_incidents_use_the_governance_area(console: Any,
                                                           clock: FrozenClock) -> None:
    """Without governance the pages say so; with it, a DPO reads the held output, decides
    with a reason, and records the authority notification then closes the breach."""
    from resguardo.auth.principal import Principal
    from resguardo.governance.impact import IncidentScope

    app, services = console
    seed = await make_admin(services, clock, "dpo", "dpo")
    client = FormClient(app)
    await client.sign_in("dpo", seed, clock)
    assert "Not available" in (await client.get("/console/review")).text
    assert "Not available" in (await client.get("/console/incidents")).text
    assert (await client.post("/console/review/rev_1", {"decision": "approve",
                                                        "reason": "ok"})).status_code == 404
    queue, register = await install_governance(services)
    held = await queue.hold("leads", Principal(key_id="k1", workflow_id="leads",
                                               environment="live"),
                            "req-1", {"decision": "reject", "note": "<b>low score</b>"})
    listing = (await client.get("/console/review")).text
    assert held.id in listing and "low score" not in listing  # the list shows no output
    page = (await client.get(f"/console/review/{held.id}")).text
    assert "&lt;b&gt;low score&lt;/b&gt;" in page  # shown, escaped
    r = await client.post(f"/console/review/{held.id}", {"decision": "approve", "reason": " "})
    assert r.status_code == 400 and "reason" in r.text
    r = await client.post(f"/console/review/{held.id}", {"decision": "reject",
                                                         "reason": "Income proof checked"})
    assert r.status_code == 303
    assert (await queue.ticket(held.id)).status == "rejected"
    assert "Nothing waits for review." in (await client.get("/console/review")).text

    opened = await register.open(title="Lost laptop", opened_by="root",
                                 scope=IncidentScope(workflows=("leads",)))
    iid = opened.incident.id
    page = (await client.get("/console/incidents")).text
    assert "Lost laptop" in page and "72.0 h left" in page
    r = await client.post(f"/console/incidents/{iid}", {"action": "closed", "reason": "x"})
    assert r.status_code == 409 and "notification_pending" in r.text
    r = await client.post(f"/console/incidents/{iid}", {"action": "notified",
                                                        "reason": "AEPD-2026-001"})
    assert r.status_code == 303
    r = await client.post(f"/console/incidents/{iid}", {"action": "closed", "reason": "x"})
    assert r.status_code == 303 and (await register.get(iid)).row["status"] == "closed"
