"""Requests refused before the gateway (no key, bad key, bad JSON, too large) are counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from assembled import assembled, client_for, prepared
from resguardo.monitor.metrics import Metrics
from resguardo.services import Services

POLICY = """
version: 1
controller: {name: "Clínica Norte S.L.", contact: "privacidad@clinica.test"}
providers:
  - {id: demo, adapter: demo, tier: local, trains_on_data: false, country: ES, models: [demo]}
workflows:
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal, communications]
    providers: [demo]
    endpoints: [chat.completions, protect, restore]
    retention_days: 30
"""
CANARY = "ana.canario@example.es"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """The assembled app with a 2 KiB body limit."""
    settings = await prepared(tmp_path, POLICY, RESGUARDO_MAX_BODY_BYTES="2048")
    async with assembled(settings) as (services, app), client_for(app) as client:
        yield client, services


def _refused(metrics: Metrics) -> dict[tuple[str, str], float]:
    families = text_string_to_metric_families(metrics.render().decode())
    return {
        (s.labels["endpoint"], s.labels["code"]): s.value
        for f in families if f.name == "resguardo_refused_requests"
        for s in f.samples if s.name.endswith("_total")
    }


async def test_refusals_before_the_gateway_are_counted_by_endpoint_and_code(
    served: tuple[httpx.AsyncClient, Services],
) -> None:
    """Missing, wrong or malformed keys, bad JSON and 413s each land under a fixed code."""
    client, services = served
    assert services.auth is not None
    issued = await services.auth.keys.create("triage", "live", name="t", actor="test")
    good = {"Authorization": f"Bearer {issued.token}"}
    chat = "/v1/chat/completions"
    body = {"model": "demo", "messages": [{"role": "user", "content": CANARY}]}

    assert (await client.post(chat, json=body)).status_code == 401
    assert (await client.post(chat, json=body,
                              headers={"Authorization": f"Bearer {CANARY}"})).status_code == 401
    wrong = issued.token[:-4] + ("aaaa" if not issued.token.endswith("aaaa") else "bbbb")
    assert (await client.post("/v1/protect", json={"text": "x"},
                              headers={"Authorization": f"Bearer {wrong}"})).status_code == 401
    assert (await client.post("/v1/protect", content=b"{not json",
                              headers=good)).status_code == 400
    assert (await client.post(chat, json={"model": "demo"}, headers=good)).status_code == 400
    big = {"text": CANARY * 200}
    assert (await client.post("/v1/restore", json=big, headers=good)).status_code == 413

    metrics = services.extras["metrics"]
    assert _refused(metrics) == {
        ("chat.completions", "missing_credentials"): 1.0,
        ("chat.completions", "malformed_key"): 1.0,
        ("protect", "invalid_key"): 1.0,
        ("protect", "invalid_json"): 1.0,
        ("chat.completions", "invalid_request"): 1.0,
        ("restore", "payload_too_large"): 1.0,
    }
    assert CANARY not in metrics.render().decode()


def test_unknown_codes_and_endpoints_become_other() -> None:
    """A code or endpoint outside the fixed sets is never used as a label value."""
    metrics = Metrics()
    metrics.refused("/v1/secret", CANARY)
    assert _refused(metrics) == {("other", "other"): 1.0}
