"""Anomaly rules on a frozen clock, with alerts delivered to a real webhook server on loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from loopback import webhook_receiver
from resguardo.monitor.anomaly import AlertDispatcher, AnomalyDetector, RequestObservation
from resguardo.monitor.counters import CounterStore, MemoryCounters, RedisCounters
from resguardo.monitor.webhook import AiohttpWebhookTransport
from resguardo.policy.schema import AnomalyPolicy
from resguardo.testing import FrozenClock, MemoryAuditSink

# Thursday 2026-01-15 10:00 in Madrid (09:00 UTC): inside office hours.
MORNING = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[str, list[Any]]]:
    """A real HTTP server on an ephemeral loopback port that keeps what it receives."""
    async with webhook_receiver("/hook") as rec:
        yield rec.url, rec.bodies


@pytest.fixture(params=["memory", "redis"])
async def counters(
    request: pytest.FixtureRequest, clock: FrozenClock
) -> AsyncIterator[CounterStore]:
    """In-memory counters, and Redis-backed ones at 127.0.0.1:6379 under a unique prefix."""
    if request.param == "memory":
        yield MemoryCounters(clock)
        return
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test:{uuid.uuid4().hex}:"
    yield RedisCounters(client, prefix=prefix)
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _detector(counters: CounterStore, clock: FrozenClock, url: str, sink: MemoryAuditSink,
              **cfg: Any) -> AnomalyDetector:
    config = AnomalyPolicy(**{"min_baseline_requests": 5, "baseline_windows": 4, **cfg})
    dispatcher = AlertDispatcher(audit=sink, transport=AiohttpWebhookTransport(), webhook_url=url)
    return AnomalyDetector(config, counters, clock, dispatcher)


def _obs(**kw: Any) -> RequestObservation:
    return RequestObservation(**{"key_id": "key_a", "workflow": "leads", "provider": "mistral",
                                 "model": "m-large", "entities": 2,
                                 "source_ip": "203.0.113.5", **kw})


async def test_normal_use_raises_nothing(
    counters: CounterStore, clock: FrozenClock, webhook: tuple[str, list[Any]]
) -> None:
    """Steady traffic from one place, provider and model in office hours: no alert."""
    clock.set(MORNING)
    sink = MemoryAuditSink()
    det = _detector(counters, clock, webhook[0], sink)
    for _ in range(30):
        assert await det.observe(_obs()) == []
        clock.advance(30)
    assert webhook[1] == [] and sink.events == []


async def test_rate_spike_alerts_once_to_webhook_and_audit(
    counters: CounterStore, clock: FrozenClock, webhook: tuple[str, list[Any]]
) -> None:
    """A burst far above the baseline alerts once (cooldown) on the webhook and in the log."""
    clock.set(MORNING)
    sink = MemoryAuditSink()
    det = _detector(counters, clock, webhook[0], sink)
    for _ in range(20):  # baseline: 1 request per minute
        await det.observe(_obs())
        clock.advance(60)
    rules = [a.rule for _ in range(40) for a in await det.observe(_obs())]
    assert rules == ["rate"]
    _url, received = webhook
    assert len(received) == 1 and set(received[0]) == {"text"}
    assert "`rate`" in received[0]["text"] and "key_a" in received[0]["text"]
    assert [(e.kind, e.outcome, e.actor) for e in sink.events] == [
        ("anomaly.alert", "rate", "key_a")]


async def test_entities_spike_and_blocked_ratio(
    counters: CounterStore, clock: FrozenClock, webhook: tuple[str, list[Any]]
) -> None:
    """One request with far more entities than usual, then mostly-blocked traffic, both alert."""
    clock.set(MORNING)
    det = _detector(counters, clock, webhook[0], MemoryAuditSink(), rate_spike_factor=100)
    for _ in range(10):
        await det.observe(_obs())
        clock.advance(120)
    assert [a.rule for a in await det.observe(_obs(entities=50))] == ["entities"]
    clock.advance(600)
    rules = [a.rule for i in range(12) for a in await det.observe(_obs(blocked=i % 4 != 0))]
    assert rules == ["blocked_ratio"]


async def test_new_provider_model_and_network(
    counters: CounterStore, clock: FrozenClock, webhook: tuple[str, list[Any]]
) -> None:
    """The first provider, model and network are the baseline; a later new one alerts."""
    clock.set(MORNING)
    det = _detector(counters, clock, webhook[0], MemoryAuditSink())
    assert await det.observe(_obs()) == []
    alerts = await det.observe(_obs(provider="openai", model="gpt-x", source_ip="198.51.100.7"))
    assert sorted(a.rule for a in alerts) == ["new_model", "new_network", "new_provider"]
    assert all("198.51.100" not in a.text() for a in alerts)
    assert await det.observe(_obs(source_ip="203.0.113.77")) == []  # same /24


async def test_off_hours_use_in_local_time(
    counters: CounterStore, clock: FrozenClock, webhook: tuple[str, list[Any]]
) -> None:
    """A request at 23:30 Madrid time, or on a Sunday, is off hours."""
    det = _detector(counters, clock, webhook[0], MemoryAuditSink(), cooldown_minutes=0)
    clock.set(datetime(2026, 1, 15, 22, 30, tzinfo=UTC))
    assert [a.rule for a in await det.observe(_obs())] == ["off_hours"]
    clock.set(datetime(2026, 1, 18, 10, 0, tzinfo=UTC))
    assert [a.rule for a in await det.observe(_obs())] == ["off_hours"]
    clock.set(datetime(2026, 1, 19, 18, 59, tzinfo=UTC))  # Monday 19:59 in Madrid
    assert await det.observe(_obs()) == []


async def test_webhook_failure_does_not_break_the_request(
    counters: CounterStore, clock: FrozenClock
) -> None:
    """An unreachable webhook is logged and counted; observe still returns the alert."""
    det = _detector(counters, clock, "http://127.0.0.1:9/none", MemoryAuditSink())
    clock.set(datetime(2026, 1, 15, 23, 0, tzinfo=UTC))
    assert [a.rule for a in await det.observe(_obs())] == ["off_hours"]
