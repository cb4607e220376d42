"""Anomaly rules over per-key, per-workflow baselines, and where their alerts go.

Counts live in fixed time windows (``window_minutes``) keyed by the injected clock, so
"now" and "the baseline" are the current window and the ``baseline_windows`` before it.
Alerts are rate-limited per (rule, key, workflow) by a cooldown, sent to a webhook as
Slack/Teams-compatible ``{"text": ...}`` and written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from resguardo.audit.canonical import source_network
from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.clock import Clock
from resguardo.monitor.counters import CounterStore
from resguardo.monitor.metrics import Metrics
from resguardo.monitor.webhook import WebhookTransport
from resguardo.policy.schema import AnomalyPolicy

__all__ = ["Alert", "AlertDispatcher", "AnomalyDetector", "RequestObservation"]

log = logging.getLogger("resguardo.monitor")
_Values = dict[str, float | int | str]
_Found = tuple[str, str, _Values]


@dataclass(frozen=True)
class RequestObservation:
    """What the gateway tells the detector about one request: ids and counts only."""

    key_id: str
    workflow: str
    provider: str | None = None
    model: str | None = None
    entities: int = 0
    blocked: bool = False
    source_ip: str | None = None  # reduced to its network here; never stored as is


@dataclass(frozen=True)
class Alert:
    """One anomaly; ``detail`` is built from numbers and ids only."""

    rule: str
    key_id: str
    workflow: str
    detail: str
    at: datetime
    values: dict[str, float | int | str] = field(default_factory=dict)

    def text(self) -> str:
        """The chat message."""
        return (
            f":warning: Resguardo anomaly `{self.rule}` for key `{self.key_id}` "
            f"(workflow `{self.workflow}`): {self.detail}"
        )


class AlertDispatcher:
    """Sends each alert to the webhook and the audit log; a failure there never fails a request."""

    def __init__(
        self,
        *,
        audit: AuditSink | None = None,
        transport: WebhookTransport | None = None,
        webhook_url: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.audit = audit
        self.transport = transport
        self.webhook_url = webhook_url
        self.metrics = metrics

    async def dispatch(self, alert: Alert) -> None:
        """Deliver one alert everywhere configured."""
        if self.metrics is not None:
            self.metrics.alert(alert.rule)
        if self.audit is not None:
            try:
                await self.audit.record(
                    AuditEvent(
                        kind="anomaly.alert", outcome=alert.rule, actor=alert.key_id,
                        workflow=alert.workflow, data=dict(alert.values), at=alert.at,
                    )
                )
            except Exception as exc:
                log.error("anomaly alert not audited", extra={"error_class": type(exc).__name__})
        if self.transport is not None and self.webhook_url:
            try:
                await self.transport.post_json(self.webhook_url, {"text": alert.text()})
            except Exception as exc:
                log.error("anomaly webhook failed", extra={"error_class": type(exc).__name__})


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class AnomalyDetector:
    """Applies the policy's anomaly rules to each observed request."""

    def __init__(
        self,
        config: AnomalyPolicy,
        counters: CounterStore,
        clock: Clock,
        dispatcher: AlertDispatcher | None = None,
    ) -> None:
        self.config = config
        self.counters = counters
        self.clock = clock
        self.dispatcher = dispatcher
        self.zone = ZoneInfo(config.timezone)
        self._ttl = config.window_minutes * 60 * (config.baseline_windows + 2)

    async def observe(self, obs: RequestObservation) -> list[Alert]:
        """Update the baselines with one request and return (and dispatch) any alerts."""
        if not self.config.enabled:
            return []
        now = self.clock.now()
        window = int(now.timestamp() // (self.config.window_minutes * 60))
        scope = f"{obs.workflow}|{obs.key_id}"
        found: list[_Found] = []
        found += await self._volume(scope, window, obs)
        found += await self._novelty(scope, obs)
        found += self._off_hours(now)
        alerts: list[Alert] = []
        cooldown = self.config.cooldown_minutes * 60
        for rule, detail, values in found:
            if cooldown and not await self.counters.set_once(f"cool|{rule}|{scope}", cooldown):
                continue
            alert = Alert(rule, obs.key_id, obs.workflow, detail, now, values)
            alerts.append(alert)
            if self.dispatcher is not None:
                await self.dispatcher.dispatch(alert)
        return alerts

    async def _volume(
        self, scope: str, window: int, obs: RequestObservation
    ) -> list[_Found]:
        c, ttl = self.config, self._ttl
        out: list[_Found] = []
        requests = await self.counters.incr(f"req|{scope}|{window}", 1, ttl)
        blocked = await self.counters.incr(f"blk|{scope}|{window}", int(obs.blocked), ttl)
        await self.counters.incr(f"ent|{scope}|{window}", obs.entities, ttl)
        past = range(window - c.baseline_windows, window)
        history = await self.counters.get_many(
            [f"req|{scope}|{w}" for w in past] + [f"ent|{scope}|{w}" for w in past]
        )
        base_req, base_ent = sum(history[: len(past)]), sum(history[len(past):])
        per_window = base_req / c.baseline_windows
        ceiling = c.rate_per_minute * c.window_minutes
        spike = base_req >= c.min_baseline_requests and requests > c.rate_spike_factor * max(
            per_window, 1.0
        )
        if requests > ceiling or spike:
            out.append(("rate", f"{requests} requests in {c.window_minutes} min "
                        f"(baseline {per_window:.1f}, ceiling {ceiling})",
                        {"requests": requests, "baseline": round(per_window, 2)}))
        if base_req >= c.min_baseline_requests and obs.entities >= c.min_entities:
            mean = base_ent / base_req if base_req else 0.0
            if obs.entities > c.entities_spike_factor * max(mean, 1.0):
                out.append(("entities", f"{obs.entities} entities in one request "
                            f"(baseline mean {mean:.1f})",
                            {"entities": obs.entities, "baseline": round(mean, 2)}))
        if requests >= c.min_requests_for_ratio and blocked / requests > c.blocked_ratio:
            out.append(("blocked_ratio", f"{blocked} of {requests} requests blocked "
                        f"in {c.window_minutes} min",
                        {"blocked": blocked, "requests": requests}))
        return out

    async def _novelty(
        self, scope: str, obs: RequestObservation
    ) -> list[_Found]:
        out: list[_Found] = []
        checks: Sequence[tuple[str, str, str | None, bool]] = (
            ("new_provider", "prov", obs.provider, self.config.new_provider),
            ("new_model", "model", obs.model, self.config.new_provider),
            ("new_network", "net", source_network(obs.source_ip), self.config.new_network),
        )
        for rule, tag, value, enabled in checks:
            if not enabled or not value:
                continue
            new, size = await self.counters.add_member(f"{tag}|{scope}", value)
            # The first value seen is the baseline, not an anomaly.
            if new and size > 1:
                # The network itself is left out of the message: only that it is new.
                shown: _Values = {"rule": rule} if tag == "net" else {"value": value}
                detail = "request from a network not seen before" if tag == "net" else (
                    f"first use of {tag} `{value}`")
                out.append((rule, detail, dict(shown)))
        return out

    def _off_hours(self, now: datetime) -> list[_Found]:
        hours = self.config.office_hours
        if hours is None:
            return []
        local = now.astimezone(self.zone)
        start, end = _hhmm(hours.start), _hhmm(hours.end)
        inside = local.isoweekday() in hours.days and start <= local.time() < end
        if inside:
            return []
        return [("off_hours", f"request at {local:%a %H:%M} {self.config.timezone}",
                 {"local_time": f"{local:%H:%M}", "weekday": local.isoweekday()})]
