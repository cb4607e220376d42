"""Governance over HTTP: a DPO decides a held output, the automation polls it with its key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest

from resguardo.auth.bundle import AuthServices, build_auth_services
from resguardo.auth.passwords import Argon2Params
from resguardo.auth.principal import Principal
from resguardo.crypto.datakeys import DataKeys
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keyprovider import MemoryKeyProvider
from resguardo.governance.observed import MemoryAuditReader
from resguardo.governance.wiring import build_governance
from resguardo.http.app import create_app
from resguardo.policy.schema import Policy
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink

PASSWORD = "correct horse battery"


@pytest.fixture
async def app_and_auth(sqlite_database: Database, policy: Policy, clock: FrozenClock,
                       history: MemoryAuditSink) -> AsyncIterator[tuple[object, AuthServices]]:
    """The app with auth and governance wired as the lead will wire them."""
    auth = build_auth_services(db=sqlite_database, policy=policy, clock=clock,
                               pepper=b"p" * 32, audit_sink=history,
                               argon2=Argon2Params.fast_for_tests())
    services = Services(settings=Settings(), policy=policy, db=sqlite_database, clock=clock,
                        auth=auth)
    services.extras["governance"] = build_governance(
        db=sqlite_database, policy=policy, clock=clock, audit=history, keys=auth.keys,
        encryptor=Encryptor(DataKeys(sqlite_database, MemoryKeyProvider(clock=clock), clock)),
        reader=MemoryAuditReader(history.events))
    services.extras["router_modules"] = ["resguardo.http.governance_routes"]
    yield create_app(services), auth
    await auth.authenticator.aclose()


async def _sign_in(app: object, auth: AuthServices, clock: FrozenClock, name: str,
                   role: str) -> tuple[httpx.AsyncClient, str]:
    info = await auth.admins.create(name, PASSWORD, role, actor="cli", from_cli=True)
    seed = (await auth.admins.begin_enrolment(info.admin_id)).seed
    await auth.admins.confirm_enrolment(info.admin_id, pyotp.TOTP(seed).at(clock.now()))
    clock.advance(30)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                               base_url="https://testserver")
    r = await client.post("/api/admin/login", json={"username": name, "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    r = await client.post("/api/admin/login/totp", headers={"X-CSRF-Token": csrf},
                          json={"code": pyotp.TOTP(seed).at(clock.now())})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


async def test_dpo_decides_and_the_automation_polls_the_outcome(
        app_and_auth: tuple[object, AuthServices], clock: FrozenClock) -> None:
    """Held → listed for the DPO → approved → polled with the workflow's key; auditor refused."""
    app, auth = app_and_auth
    key = await auth.keys.create("lead-scorer", "live")
    gov = app.state.services.extras["governance"]  # type: ignore[attr-defined]
    principal = Principal(key.info.key_id, "lead-scorer", "live")
    ticket = await gov.reviews.hold("lead-scorer", principal, "req-1", {"score": 80})
    dpo, csrf = await _sign_in(app, auth, clock, "dpo", "dpo")
    assert [t["id"] for t in (await dpo.get("/api/admin/reviews")).json()] == [ticket.id]
    auditor, acsrf = await _sign_in(app, auth, clock, "auditor", "auditor")
    r = await auditor.post(f"/api/admin/reviews/{ticket.id}/decision",
                           headers={"X-CSRF-Token": acsrf},
                           json={"decision": "approve", "reason": "ok"})
    assert r.status_code == 403
    assert (await auditor.get("/api/admin/governance/ropa?format=html&days=0")).status_code \
        == 200
    r = await dpo.post(f"/api/admin/reviews/{ticket.id}/decision",
                       headers={"X-CSRF-Token": csrf},
                       json={"decision": "approve", "reason": "Looks right"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    poll = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                             base_url="https://testserver")
    r = await poll.get(f"/v1/reviews/{ticket.id}",
                       headers={"Authorization": f"Bearer {key.token}"})
    assert r.status_code == 200, r.text
    assert r.json()["output"] == {"score": 80} and r.json()["reason"] == "Looks right"
    assert (await poll.get(f"/v1/reviews/{ticket.id}")).status_code == 401


async def test_incident_api_opens_and_drafts(app_and_auth: tuple[object, AuthServices],
                                             clock: FrozenClock) -> None:
    """A DPO opens an incident over HTTP and downloads the AEPD draft."""
    app, auth = app_and_auth
    dpo, csrf = await _sign_in(app, auth, clock, "dpo2", "dpo")
    r = await dpo.post("/api/admin/incidents", headers={"X-CSRF-Token": csrf},
                       json={"title": "Lost laptop", "workflows": ["support-bot"]})
    assert r.status_code == 201, r.text
    iid = r.json()["incident"]["id"]
    assert r.json()["incident"]["impact"]["subjects_approx"] == 3
    draft = await dpo.get(f"/api/admin/incidents/{iid}/draft/aepd?format=html")
    assert draft.status_code == 200 and "text/html" in draft.headers["content-type"]
