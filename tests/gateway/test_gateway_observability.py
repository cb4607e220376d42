"""The gateway reports every request to /metrics and to anomaly detection, leaking no value."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web
from sqlalchemy import select

from assembled import assembled, client_for, prepared
from loopback import serving
from resguardo.audit.canonical import decode
from resguardo.audit.tables import AuditEventRow
from resguardo.auth.principal import Principal
from resguardo.gateway.pipeline import Gateway
from resguardo.gateway.wiring import gateway_services
from resguardo.monitor.anomaly import RequestObservation
from resguardo.monitor.metrics import Metrics
from resguardo.policy.schema import Policy
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.testing import FrozenClock, MemoryAuditSink, RegexDetector

EMAIL, DNI, NAME, PHONE = "marta.canario@correo.test", "12345678Z", "Marta Canario", "612 345 678"
IBAN = "ES91 2100 0418 4502 0005 1332"
CANARIES = [EMAIL, "marta.canario", DNI, NAME, "Canario", PHONE, "612345678", IBAN,
            "2100 0418", "198.51.100", "203.0.113"]

POLICY = """
version: 1
controller: {name: "Clínica Norte S.L.", contact: "privacidad@clinica.test"}
providers:
  - {id: demo, adapter: demo, tier: local, trains_on_data: false, country: ES, models: [demo]}
  - id: refusing
    adapter: openai-compatible
    base_url: http://127.0.0.1:PORT/v1
    tier: local
    trains_on_data: false
    country: ES
    models: [refusing-model]
workflows:
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal, communications]
    providers: [demo]
    endpoints: [chat.completions, models, protect, restore]
  - id: flaky
    purpose: Summarise tickets.
    legal_basis: contract
    categories: [personal, communications]
    providers: [refusing]
    endpoints: [chat.completions]
anomaly:
  window_minutes: 1
  rate_per_minute: 3
  office_hours: null
"""


@dataclass
class App:
    services: Services
    asgi: Any
    clock: FrozenClock

    async def key(self, workflow: str) -> str:
        assert self.services.auth is not None
        issued = await self.services.auth.keys.create(workflow, "live", name="t", actor="test")
        return str(issued.token)

    def client(self, ip: str = "198.51.100.7") -> httpx.AsyncClient:
        return client_for(self.asgi, ip=ip)

    async def settle(self) -> None:
        """Wait for the background anomaly observations (and their alerts) to finish."""
        gateway: Gateway = self.services.extras["gateway"]
        assert gateway.reporter.feed is not None
        await gateway.reporter.feed.drain()

    async def alerts(self) -> list[dict[str, Any]]:
        async with self.services.db.session() as s:
            rows = await s.scalars(
                select(AuditEventRow.canonical).where(AuditEventRow.kind == "anomaly.alert"))
            return [decode(bytes(c)) for c in rows]


@pytest.fixture
async def refusing_upstream() -> AsyncIterator[int]:
    """A loopback OpenAI-compatible server that refuses every request with 400."""

    async def refuse(_request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "bad"}}, status=400)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", refuse)
    async with serving(app) as base:
        yield int(base.rsplit(":", 1)[1])


@pytest.fixture
async def app(tmp_path: Path, refusing_upstream: int) -> AsyncIterator[App]:
    """The assembled process (bootstrap.build_services) on a frozen clock."""
    settings = await prepared(tmp_path, POLICY.replace("PORT", str(refusing_upstream)))
    clock = FrozenClock()
    async with assembled(settings, clock=clock) as (services, asgi):
        yield App(services, asgi, clock)


def _chat(content: str) -> dict[str, Any]:
    return {"model": "demo", "messages": [{"role": "user", "content": content}]}


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        if line.startswith(f"{name}{{{want}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_entities_blocks_and_errors_without_values(
    app: App,
) -> None:
    """Masked, blocked and failed requests show in /metrics by category; no canary does."""
    headers = {"Authorization": f"Bearer {await app.key('triage')}",
               "X-Resguardo-Known": orjson.dumps([{"value": NAME, "type": "PERSON"}]).decode()}
    async with app.client() as client:
        for _ in range(2):
            r = await client.post("/v1/chat/completions", headers=headers, json=_chat(
                f"Repite: {NAME} ({EMAIL}, DNI {DNI}, tel {PHONE}) pide cita."))
            assert r.status_code == 200, r.text
            assert EMAIL in r.text  # restored for the caller
        blocked = await client.post("/v1/chat/completions", headers=headers,
                                    json=_chat(f"Cargo a {NAME}, IBAN {IBAN}"))
        assert blocked.status_code == 403
        protected = await client.post("/v1/protect", headers=headers,
                                      json={"text": f"Escribe a {EMAIL}"})
        assert protected.status_code == 200
        restored = await client.post("/v1/restore", headers=headers, json={
            "session_id": protected.json()["session_id"], "text": protected.json()["text"]})
        assert restored.status_code == 200
        flaky = {"Authorization": f"Bearer {await app.key('flaky')}"}
        failed = await client.post("/v1/chat/completions", headers=flaky,
                                   json=_chat(f"Resume: {EMAIL}"))
        assert failed.status_code == 400
        await app.settle()
        text = (await client.get("/metrics")).text

    requests = "resguardo_requests_total"
    assert _sample(text, requests, endpoint="chat.completions", workflow="triage",
                   outcome="masked") == 2
    assert _sample(text, requests, endpoint="chat.completions", workflow="triage",
                   outcome="blocked") == 1
    assert _sample(text, requests, endpoint="protect", workflow="triage", outcome="masked") == 1
    assert _sample(text, requests, endpoint="restore", workflow="triage", outcome="ok") == 1
    assert _sample(text, requests, endpoint="chat.completions", workflow="flaky",
                   outcome="error") == 1
    assert _sample(text, "resguardo_blocked_requests_total", endpoint="chat.completions",
                   workflow="triage", reason="category") == 1
    # Two chats with four values each, the IBAN request's name, the protected email.
    assert _sample(text, "resguardo_entities_total", workflow="triage",
                   category="personal") >= 2 * 4 + 1 + 1
    assert _sample(text, "resguardo_entities_total", workflow="triage",
                   category="financial") == 1
    assert _sample(text, "resguardo_provider_errors_total", provider="refusing",
                   kind="status") == 1
    assert _sample(text, "resguardo_request_latency_seconds_count",
                   endpoint="chat.completions", workflow="triage") == 3
    for canary in CANARIES:
        assert canary.casefold() not in text.casefold(), canary


async def test_request_burst_over_the_policy_rate_writes_an_alert_to_the_audit_log(
    app: App,
) -> None:
    """Three requests a minute are allowed; the fourth raises one `rate` alert, audited."""
    headers = {"Authorization": f"Bearer {await app.key('triage')}"}
    async with app.client() as client:
        for _ in range(3):
            assert (await client.post("/v1/chat/completions", headers=headers,
                                      json=_chat(f"Repite: {EMAIL}"))).status_code == 200
        await app.settle()
        assert [a for a in await app.alerts() if a["outcome"] == "rate"] == []
        assert (await client.post("/v1/chat/completions", headers=headers,
                                  json=_chat(f"Repite: {EMAIL}"))).status_code == 200
        await app.settle()
        metrics = (await client.get("/metrics")).text
    rate = [a for a in await app.alerts() if a["outcome"] == "rate"]
    assert len(rate) == 1
    assert rate[0]["workflow"] == "triage" and rate[0]["data"]["requests"] == 4
    assert _sample(metrics, "resguardo_anomaly_alerts_total", rule="rate") == 1

    # A minute later the window is fresh: the same pace raises nothing new.
    app.clock.advance(60)
    async with app.client() as client:
        assert (await client.post("/v1/chat/completions", headers=headers,
                                  json=_chat("hola"))).status_code == 200
        await app.settle()
    assert len([a for a in await app.alerts() if a["outcome"] == "rate"]) == 1


async def test_request_from_a_new_network_writes_an_alert_without_the_address(
    app: App,
) -> None:
    """The first network is the baseline; a second one is an alert that names no address."""
    headers = {"Authorization": f"Bearer {await app.key('triage')}"}
    async with app.client("198.51.100.7") as client:
        assert (await client.get("/v1/models", headers=headers)).status_code == 200
        await app.settle()
    assert await app.alerts() == []
    async with app.client("203.0.113.9") as client:
        assert (await client.get("/v1/models", headers=headers)).status_code == 200
        await app.settle()
    alerts = await app.alerts()
    assert [a["outcome"] for a in alerts] == ["new_network"]
    sealed = orjson.dumps(alerts).decode()
    assert "203.0.113" not in sealed and "198.51.100" not in sealed


class _Stalled:
    """An anomaly detector that never finishes (a hung Redis, say)."""

    def __init__(self) -> None:
        self.seen = 0
        self.release = asyncio.Event()

    async def observe(self, obs: RequestObservation) -> list[Any]:
        self.seen += 1
        await self.release.wait()
        return []


class _Broken:
    """An anomaly detector that always fails."""

    async def observe(self, obs: RequestObservation) -> list[Any]:
        raise ConnectionError("redis is down")


def _gateway(anomaly: Any, metrics: Metrics, queue: int = 1000) -> Gateway:
    policy = Policy.model_validate({
        "controller": {"name": "Acme", "contact": "dpo@acme.test"},
        "providers": [{"id": "demo", "adapter": "demo", "tier": "local",
                       "trains_on_data": False, "country": "ES", "models": ["demo"]}],
        "workflows": [{"id": "w", "purpose": "p", "legal_basis": "contract",
                       "categories": ["personal"], "providers": ["demo"]}],
    })
    parts = gateway_services(Settings(), policy, {}, audit=MemoryAuditSink(),
                             detector=RegexDetector(), clock=FrozenClock(),
                             metrics=metrics, anomaly=anomaly, anomaly_queue=queue)
    return parts.gateway


async def test_a_stalled_anomaly_detector_neither_delays_requests_nor_grows_memory() -> None:
    """With the detector hung, requests still answer at once; overflow is dropped and counted."""
    stalled, metrics = _Stalled(), Metrics()
    gateway = _gateway(stalled, metrics, queue=2)
    principal = Principal("k1", "w", "live", source_ip="198.51.100.7")
    started = time.perf_counter()
    for _ in range(6):
        reply = await gateway.handle(principal, "chat", _chat(f"Repite: {EMAIL}"), None)
        assert isinstance(reply, dict) and EMAIL in orjson.dumps(reply).decode()
        await asyncio.sleep(0)  # let the background task pick up what it can
    assert time.perf_counter() - started < 5
    feed = gateway.reporter.feed
    assert feed is not None
    assert stalled.seen == 1 and feed.dropped == 6 - 1 - 2
    assert "resguardo_anomaly_dropped_total 3.0" in metrics.render().decode()
    stalled.release.set()
    await gateway.aclose()
    assert stalled.seen == 3


async def test_a_failing_anomaly_detector_does_not_fail_the_request() -> None:
    """A detector that raises is logged and ignored; the caller gets its answer."""
    gateway = _gateway(_Broken(), Metrics())
    principal = Principal("k1", "w", "live", source_ip="198.51.100.7")
    reply = await gateway.handle(principal, "chat", _chat(f"Repite: {EMAIL}"), None)
    assert isinstance(reply, dict)
    feed = gateway.reporter.feed
    assert feed is not None
    await feed.drain()
    await gateway.aclose()


async def test_a_stream_is_counted_once_when_it_ends_or_is_abandoned() -> None:
    """Streams are reported at their end, including one the client stops reading."""
    metrics = Metrics(Policy.model_validate({
        "controller": {"name": "Acme", "contact": "dpo@acme.test"},
        "workflows": [{"id": "w", "purpose": "p"}]}))
    gateway = _gateway(None, metrics)
    principal = Principal("k1", "w", "live")
    for abandon in (False, True):
        stream = await gateway.handle(
            principal, "chat", {**_chat(f"Repite: {EMAIL} {EMAIL} {EMAIL}"), "stream": True}, None)
        assert not isinstance(stream, dict)
        async for _chunk in stream:
            if abandon:
                break
        await stream.aclose()  # type: ignore[attr-defined]
    text = metrics.render().decode()
    assert _sample(text, "resguardo_requests_total", endpoint="chat.completions", workflow="w",
                   outcome="masked") == 2
    assert EMAIL not in text
