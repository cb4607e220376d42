"""The vault and rights HTTP API: key-scoped records, admin-only rights, no value echoed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import Request

from resguardo.auth.principal import Principal
from resguardo.errors import Forbidden
from resguardo.http.app import create_app
from resguardo.rights.requests import RightsConfig
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink, StaticKeyAuthenticator
from resguardo.vault.testkit import memory_vault_stack, sample_vault_policy
from resguardo.vault.wiring import STACK_EXTRA, VaultStack, lazy_vault_stack

KEYS = {
    "rg_live_leads": Principal("k_live", "lead-qualifier", "live"),
    "rg_test_leads": Principal("k_test", "lead-qualifier", "test"),
    "rg_live_voice": Principal("k_voice", "voice-agent", "live"),
}
ANA = {"identifiers": {"email": "ana.garcia@example.es", "phone": "612 345 678"},
       "fields": {"name": "Ana García", "score": 80}}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def client(sqlite_database: Database, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """An app with the vault wired, static keys, and an admin check that trusts a header."""
    policy = sample_vault_policy()
    audit = MemoryAuditSink()

    async def build() -> VaultStack:
        return await memory_vault_stack(sqlite_database, clock, audit, policy=policy,
                                        rights=RightsConfig(blocking_period=timedelta(0)))

    async def admin(request: Request) -> str:
        if request.headers.get("x-test-admin") != "dpo":
            raise Forbidden("Your role does not allow this.")
        return "admin:dpo"

    services = Services(settings=Settings(), policy=policy, db=sqlite_database, clock=clock)
    services.extras.update({"authenticator": StaticKeyAuthenticator(KEYS),
                            STACK_EXTRA: lazy_vault_stack(build), "rights_authorize": admin})
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c


async def test_record_lifecycle_over_http(client: httpx.AsyncClient) -> None:
    """Create, read, look up, patch and delete through the API with a granted key."""
    created = await client.post("/v1/vault/leads/records", json=ANA, headers=_auth("rg_live_leads"))
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    read = await client.get(f"/v1/vault/leads/records/{record_id}",
                            headers=_auth("rg_live_leads"))
    assert read.json()["fields"] == ANA["fields"]
    found = await client.post("/v1/vault/leads/lookup", json={"kind": "phone",
                              "value": "+34612345678"}, headers=_auth("rg_live_leads"))
    assert [r["id"] for r in found.json()["records"]] == [record_id]
    patched = await client.patch(f"/v1/vault/leads/records/{record_id}",
                                 json={"fields": {"score": 99}}, headers=_auth("rg_live_leads"))
    assert patched.json()["fields"] == {"name": "Ana García", "score": 99}
    gone = await client.delete(f"/v1/vault/leads/records/{record_id}",
                               headers=_auth("rg_live_leads"))
    assert gone.status_code == 204


async def test_keys_reach_only_what_their_workflow_and_environment_allow(
    client: httpx.AsyncClient,
) -> None:
    """No key: 401; ungranted write: 403; a test key asking for a live record: 404."""
    created = await client.post("/v1/vault/leads/records", json=ANA, headers=_auth("rg_live_leads"))
    record_id = created.json()["id"]
    assert (await client.post("/v1/vault/leads/records", json=ANA)).status_code == 401
    denied = await client.post("/v1/vault/leads/records", json=ANA, headers=_auth("rg_live_voice"))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    hidden = await client.get(f"/v1/vault/leads/records/{record_id}",
                              headers=_auth("rg_test_leads"))
    assert hidden.status_code == 404
    narrowed = await client.get(f"/v1/vault/leads/records/{record_id}",
                                headers=_auth("rg_live_voice"))
    assert narrowed.json()["fields"] == {"name": "Ana García", "score": 80}


async def test_errors_never_echo_the_identifier_or_field_values(client: httpx.AsyncClient) -> None:
    """A bad identifier or an unlisted field is refused by name only."""
    bad = await client.post("/v1/vault/leads/records", headers=_auth("rg_live_leads"),
                            json={"identifiers": {"phone": "llámame 6x6"}, "fields": {}})
    assert bad.status_code == 400 and "6x6" not in bad.text
    extra = await client.post("/v1/vault/leads/records", headers=_auth("rg_live_leads"),
                              json={"identifiers": ANA["identifiers"],
                                    "fields": {"iban": "ES9121000418450200051332"}})
    assert extra.status_code == 400 and "ES91" not in extra.text and "iban" in extra.text


async def test_rights_flow_over_the_admin_api(client: httpx.AsyncClient) -> None:
    """Open, verify, export as HTML and JSON, then erase; non-admins are refused."""
    await client.post("/v1/vault/leads/records", json=ANA, headers=_auth("rg_live_leads"))
    admin = {"x-test-admin": "dpo"}
    body = {"kind": "access", "identifier_kind": "email", "identifier": "ana.garcia@example.es"}
    assert (await client.post("/api/admin/rights", json=body)).status_code == 403
    opened = await client.post("/api/admin/rights", json=body, headers=admin)
    assert opened.status_code == 201 and opened.json()["subject_found"] is True
    rid = opened.json()["id"]
    await client.post(f"/api/admin/rights/{rid}/verify", json={"method": "DNI"}, headers=admin)
    page = await client.post(f"/api/admin/rights/{rid}/export?format=html", headers=admin)
    assert page.headers["content-type"].startswith("text/html") and "Ana García" in page.text
    assert page.headers["cache-control"] == "no-store"

    erasure = await client.post("/api/admin/rights", headers=admin, json={
        "kind": "erasure", "identifier_kind": "phone", "identifier": "612345678"})
    eid = erasure.json()["id"]
    await client.post(f"/api/admin/rights/{eid}/verify", json={"method": "DNI"}, headers=admin)
    erased = await client.post(f"/api/admin/rights/{eid}/erase", headers=admin)
    assert erased.json()["status"] == "completed" and erased.json()["outcome"] == "erased"
    after = await client.post("/v1/vault/leads/lookup", headers=_auth("rg_live_leads"),
                              json={"kind": "email", "value": "ana.garcia@example.es"})
    assert after.json() == {"records": []}
