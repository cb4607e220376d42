"""The assembled process (bootstrap.build_services): the areas work together as served."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assembled import assembled, client_for, prepared
from resguardo.services import Services

POLICY = """
version: 1
controller:
  name: "Clínica Norte S.L."
  contact: "privacidad@clinica.test"
  dpo: "dpo@clinica.test"
providers:
  - id: demo
    adapter: demo
    tier: local
    trains_on_data: false
    country: ES
    models: [demo]
workflows:
  - id: lead-scoring
    purpose: Score inbound leads before a salesperson calls.
    legal_basis: legitimate_interests
    categories: [personal, communications]
    providers: [demo]
    endpoints: [chat.completions, responses, models]
    retention_days: 30
    automated_decision: true
    human_review: true
    dpia: DPIA-2026-03
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal, communications]
    providers: [demo]
    endpoints: [chat.completions, models, protect, restore, vault]
    retention_days: 30
    collections:
      - {collection: contacts, read: true, write: true}
collections:
  - id: contacts
    category: personal
    retention_days: 365
    fields: [name, email, notes]
"""


@dataclass
class App:
    services: Services
    client: httpx.AsyncClient

    async def key(self, workflow: str, env: str = "live") -> str:
        assert self.services.auth is not None
        issued = await self.services.auth.keys.create(workflow, env, name="t", actor="test")
        return issued.token


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    settings = await prepared(tmp_path, POLICY)
    async with assembled(settings) as (services, asgi), client_for(asgi) as client:
        yield App(services, client)


def _chat(content: str) -> dict[str, object]:
    return {"model": "demo", "messages": [{"role": "user", "content": content}]}


async def test_art22_decision_is_held_for_review_not_released(app: App) -> None:
    """A significant automated decision comes back as a review ticket; the output stays held."""
    key = await app.key("lead-scoring")
    headers = {"Authorization": f"Bearer {key}"}
    response = await app.client.post(
        "/v1/chat/completions", json=_chat("Repite: lead aceptado"), headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    ticket = body["resguardo_review"]
    assert ticket["status"] == "pending"
    assert "lead aceptado" not in response.text
    assert ticket["id"] in body["choices"][0]["message"]["content"]

    polled = await app.client.get(f"/v1/reviews/{ticket['id']}", headers=headers)
    assert polled.status_code == 200
    assert polled.json()["status"] == "pending"
    assert "lead aceptado" not in polled.text


async def test_art22_workflow_refuses_streaming(app: App) -> None:
    """A held decision can't be streamed: 400 with a clear code, nothing released."""
    key = await app.key("lead-scoring")
    response = await app.client.post(
        "/v1/chat/completions",
        json={**_chat("hola"), "stream": True},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "review_requires_no_stream"


async def test_ordinary_workflow_is_released_with_values_restored(app: App) -> None:
    """Without Art. 22 the reply goes straight back with the real values."""
    key = await app.key("triage")
    response = await app.client.post(
        "/v1/chat/completions",
        json=_chat("Repite: escribe a marta.ruiz@correo.test"),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    assert "marta.ruiz@correo.test" in response.json()["choices"][0]["message"]["content"]
    assert "resguardo_review" not in response.json()


async def test_test_key_carrying_a_live_subjects_email_is_blocked(app: App) -> None:
    """A live customer's identifier in test traffic is refused, and nothing is forwarded."""
    live = await app.key("triage", "live")
    created = await app.client.post(
        "/v1/vault/contacts/records",
        json={"identifiers": {"email": "ana.live@cliente.test"},
              "fields": {"name": "Ana", "email": "ana.live@cliente.test"}},
        headers={"Authorization": f"Bearer {live}"},
    )
    assert created.status_code == 201, created.text

    test = await app.key("triage", "test")
    headers = {"Authorization": f"Bearer {test}"}
    blocked = await app.client.post(
        "/v1/chat/completions", json=_chat("Escribe a ANA.LIVE@cliente.test"), headers=headers
    )
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "live_data_in_test"
    assert "ana.live" not in blocked.text.lower()

    synthetic = await app.client.post(
        "/v1/chat/completions", json=_chat("Repite: escribe a prueba@sintetico.test"),
        headers=headers,
    )
    assert synthetic.status_code == 200, synthetic.text


async def test_metrics_are_open_by_default_and_need_the_token_when_one_is_set(
    tmp_path: Path,
) -> None:
    """RESGUARDO_METRICS_TOKEN turns /metrics into a bearer-protected endpoint."""
    settings = await prepared(tmp_path, POLICY, RESGUARDO_METRICS_TOKEN="s3cret-scrape")
    async with assembled(settings) as (_services, asgi), client_for(asgi) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "s3cret" not in wrong.text
        ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert ok.status_code == 200 and "resguardo_" in ok.text


async def test_metrics_answer_without_a_token_when_none_is_configured(app: App) -> None:
    """Without a configured token /metrics behaves like any Prometheus target."""
    assert (await app.client.get("/metrics")).status_code == 200


async def test_a_subjects_gateway_requests_are_found_by_keyed_hash_not_by_value(
    app: App,
) -> None:
    """The decision event carries keyed hashes of the identifiers it saw, never the values."""
    from resguardo.audit.query import AuditQuery, query_events

    key = await app.key("triage")
    email = "marta.ruiz@correo.test"
    response = await app.client.post(
        "/v1/chat/completions", json=_chat(f"Escribe a {email.upper()}"),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    audit = app.services.extras["audit"].log
    subject = audit.hasher.hash(email, "EMAIL")
    found = await query_events(app.services.db, AuditQuery(subject_hash=subject))
    assert [e["kind"] for e in found] == ["gateway.request"]
    assert email not in str(found).lower()


def test_dpo_finds_a_subjects_requests_from_the_cli_by_email(tmp_path: Path) -> None:
    """`audit query --subject EMAIL` hashes the identifier and lists that subject's requests."""
    import asyncio
    import json

    from typer.testing import CliRunner

    from resguardo.cli.main import _mount
    from resguardo.cli.main import app as cli

    email = "luis.pardo@cliente.test"

    async def serve_one_request() -> None:
        settings = await prepared(tmp_path, POLICY)
        async with assembled(settings) as (services, asgi), client_for(asgi) as client:
            assert services.auth is not None
            key = (await services.auth.keys.create("triage", "live", name="t", actor="t")).token
            response = await client.post("/v1/chat/completions", json=_chat(f"Hola {email}"),
                                         headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 200, response.text

    asyncio.run(serve_one_request())
    _mount()
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "audit", "query", "--subject", email.upper(),
              "--subject-kind", "email", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["kind"] for r in rows] == ["gateway.request"]
    assert email not in result.stdout
