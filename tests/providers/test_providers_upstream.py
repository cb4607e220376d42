"""Against a real loopback upstream: retries on 429/5xx, and one upstream key per automation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from assembled import assembled, client_for, prepared
from loopback import serving
from resguardo.policy.schema import AdapterKind, CredentialRef, Provider, Tier
from resguardo.providers.openai_compat import OpenAICompatibleAdapter
from resguardo.providers.transport import AiohttpTransport


@dataclass
class Flaky:
    """Answers ``failures`` times with ``status``, then a chat completion; records auth."""

    failures: int = 0
    status: int = 503
    calls: int = 0
    authorizations: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
async def upstream() -> AsyncIterator[Flaky]:
    state = Flaky()

    async def chat(request: web.Request) -> web.Response:
        state.calls += 1
        state.authorizations.append(request.headers.get("Authorization", ""))
        if state.calls <= state.failures:
            return web.json_response({"error": {"message": "busy"}}, status=state.status)
        return web.json_response({
            "id": "up", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "ok"}}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    async with serving(app) as base:
        state.url = f"{base}/v1"
        yield state


def _provider(url: str, retries: int) -> Provider:
    return Provider(id="eu", adapter=AdapterKind.OPENAI, base_url=url, tier=Tier.ENTERPRISE,
                    trains_on_data=False, country="ES", models=("m",), max_retries=retries,
                    credential=CredentialRef(env="EU_KEY"))


async def _call(upstream: Flaky, retries: int) -> dict[str, object]:
    transport = AiohttpTransport()
    await transport.start()
    try:
        adapter = OpenAICompatibleAdapter(_provider(upstream.url, retries), transport,
                                          backoff=0.001)
        return await adapter.call("chat", {"model": "m", "messages": []}, "k")
    finally:
        await transport.close()


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_non_streamed_call_is_retried_on_rate_limit_and_server_errors(
    upstream: Flaky, status: int
) -> None:
    """Two failures then success: the caller gets the answer after three attempts."""
    upstream.failures, upstream.status = 2, status
    reply = await _call(upstream, retries=2)
    assert reply["id"] == "up"
    assert upstream.calls == 3


async def test_retries_stop_at_the_providers_limit(upstream: Flaky) -> None:
    """Past max_retries the failure is the caller's answer (mapped, nothing of the body)."""
    from resguardo.errors import UpstreamError

    upstream.failures = 5
    with pytest.raises(UpstreamError):
        await _call(upstream, retries=1)
    assert upstream.calls == 2


async def test_client_errors_are_not_retried(upstream: Flaky) -> None:
    """A 400 is the request's fault: retrying would only repeat it."""
    from resguardo.errors import ResguardoError

    upstream.failures, upstream.status = 1, 400
    with pytest.raises(ResguardoError):
        await _call(upstream, retries=3)
    assert upstream.calls == 1


POLICY = """
version: 1
controller: {{name: "Acme S.L.", contact: "dpo@acme.test"}}
providers:
  - id: eu
    adapter: openai-compatible
    base_url: {url}
    credential: {{env: PROVIDER_KEY}}
    tier: enterprise
    trains_on_data: false
    country: ES
    models: [m]
    max_retries: 0
workflows:
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal]
    providers: [eu]
    retention_days: 30
  - id: invoices
    purpose: Read supplier invoices.
    legal_basis: contract
    categories: [personal]
    providers: [eu]
    retention_days: 30
    credential: {{env: INVOICES_UPSTREAM_KEY}}
"""


async def test_each_automation_can_use_its_own_upstream_key(
    upstream: Flaky, tmp_path: Path
) -> None:
    """A workflow credential overrides the provider's: one leaked key exposes one automation."""
    settings = await prepared(tmp_path, POLICY.format(url=upstream.url))
    env = {"PROVIDER_KEY": "sk-shared-provider", "INVOICES_UPSTREAM_KEY": "sk-invoices-only"}
    async with assembled(settings, env=env) as (services, app), client_for(app) as client:
        assert services.auth is not None
        for workflow in ("triage", "invoices"):
            key = (await services.auth.keys.create(workflow, "live", name="t", actor="t")).token
            response = await client.post(
                "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                json={"model": "m", "messages": [{"role": "user", "content": "hola"}]})
            assert response.status_code == 200, response.text
    assert upstream.authorizations == ["Bearer sk-shared-provider", "Bearer sk-invoices-only"]


def test_azure_openai_gets_its_api_key_header_not_a_bearer_token() -> None:
    """Azure OpenAI authenticates with ``api-key``; the key never goes as a bearer token."""
    azure = _provider("https://acme.openai.azure.com/openai/v1", 0)
    headers = OpenAICompatibleAdapter(azure, AiohttpTransport())._headers("az-key", False)
    assert headers.get("api-key") == "az-key"
    assert "Authorization" not in headers
