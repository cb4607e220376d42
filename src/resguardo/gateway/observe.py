"""Report each gateway request to the metrics and, off the request path, to anomaly detection.

Metrics are in-process counter increments, so they are updated inline. Anomaly observation
may touch Redis and dispatch alerts (audit log, webhook), so it is handed to one background
task through a bounded queue: the caller never waits for it and a failure there never fails
the request. When the queue is full the observation is dropped and counted, so a flood
cannot grow memory or slow the gateway down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from resguardo.auth.principal import Principal
from resguardo.errors import (
    AuditWriteFailed,
    AuthError,
    DetectionFailed,
    InputError,
    NotFound,
    PolicyDenied,
    RateLimited,
    ResguardoError,
    UpstreamError,
    UpstreamTimeout,
)
from resguardo.monitor.anomaly import RequestObservation
from resguardo.monitor.metrics import Metrics
from resguardo.policy.schema import Policy

__all__ = [
    "AnomalyFeed",
    "AnomalyObserver",
    "RequestReporter",
    "block_reason",
    "outcome_of",
    "provider_error_kind",
]

log = logging.getLogger("resguardo.gateway")


class AnomalyObserver(Protocol):
    """What the gateway needs of the anomaly detector."""

    async def observe(self, obs: RequestObservation) -> Any:
        """Update baselines with one request; dispatch any alerts."""
        ...


def block_reason(exc: ResguardoError) -> str:
    """The metric's fixed reason word for a refused request (never a caller's string)."""
    if isinstance(exc, AuditWriteFailed):
        return "audit_failed"
    if isinstance(exc, DetectionFailed):
        return "detection_failed"
    if isinstance(exc, RateLimited):
        return "rate_limit"
    if exc.code == "reply_blocked":
        return "reply_scan"
    if isinstance(exc, AuthError):
        return "scope"  # endpoint not allowed, workflow gone: least privilege
    reason = str(exc.details.get("reason", "")) if isinstance(exc, PolicyDenied) else ""
    if "scope" in reason or reason == "model_not_allowed":
        return "scope"
    if reason.startswith("category"):
        return "category"
    if reason.startswith("provider") or reason == "no_providers":
        return "provider"
    return "policy"


def outcome_of(exc: ResguardoError) -> str:
    """``blocked`` (refused by a rule or fail-closed), ``rejected`` (bad input) or ``error``."""
    if isinstance(exc, UpstreamError | UpstreamTimeout) or exc.code.startswith("upstream_"):
        return "error"
    if isinstance(exc, PolicyDenied | AuthError | AuditWriteFailed | DetectionFailed):
        return "blocked"
    if isinstance(exc, InputError | NotFound):
        return "rejected"
    return "error"


def provider_error_kind(exc: ResguardoError) -> str:
    """The metric's fixed kind word for an upstream failure."""
    if isinstance(exc, UpstreamTimeout):
        return "timeout"
    if exc.code == "upstream_empty":
        return "invalid_response"
    if isinstance(exc, UpstreamError) and getattr(exc, "upstream_status", None) is None:
        return "connection"
    return "status"


class AnomalyFeed:
    """A bounded queue drained by one task that calls the anomaly detector."""

    def __init__(self, detector: AnomalyObserver, *, maxsize: int = 1000,
                 metrics: Metrics | None = None) -> None:
        self.detector = detector
        self.metrics = metrics
        self.dropped = 0
        self._queue: asyncio.Queue[RequestObservation] = asyncio.Queue(maxsize)
        self._task: asyncio.Task[None] | None = None

    def submit(self, obs: RequestObservation) -> None:
        """Queue ``obs`` without waiting; drop (and count) it when the queue is full."""
        try:
            self._queue.put_nowait(obs)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.metrics is not None:
                self.metrics.anomaly_dropped()
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="gateway-anomaly-feed")

    async def _run(self) -> None:
        while True:
            obs = await self._queue.get()
            try:
                await self.detector.observe(obs)
            except Exception as exc:
                # Only the class: monitoring trouble must not fail (or describe) a request.
                log.error("anomaly observation failed",
                          extra={"error_class": type(exc).__name__})
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued observation has been handled (tests, shutdown)."""
        if self._task is not None and not self._task.done():
            await self._queue.join()

    async def aclose(self, timeout: float = 2.0) -> None:
        """Finish what is queued (up to ``timeout`` seconds), then stop the task."""
        task, self._task = self._task, None
        if task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class RequestReporter:
    """Turns one finished request into metrics and an anomaly observation (ids, counts only)."""

    def __init__(self, policy: Policy, metrics: Metrics | None = None,
                 feed: AnomalyFeed | None = None) -> None:
        self.policy = policy
        self.metrics = metrics
        self.feed = feed

    @property
    def active(self) -> bool:
        """False when nothing is listening: callers may skip building the report."""
        return self.metrics is not None or self.feed is not None

    def by_category(self, types: Iterable[tuple[str, int]]) -> dict[str, int]:
        """Entity counts per entity type folded into policy data categories."""
        out: dict[str, int] = {}
        for entity_type, n in types:
            category = self.policy.category_of(entity_type)
            out[category] = out.get(category, 0) + n
        return out

    def report(
        self,
        principal: Principal,
        workflow: str | None,
        endpoint: str,
        outcome: str,
        seconds: float,
        *,
        entities: Mapping[str, int] | None = None,
        error: ResguardoError | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> None:
        """Count one request; queue its anomaly observation. Never raises."""
        try:
            self._report(principal, workflow, endpoint, outcome, seconds, entities or {},
                         error, provider, model)
        except Exception as exc:  # metrics must never fail a request
            log.error("request metrics failed", extra={"error_class": type(exc).__name__})

    def _report(self, principal: Principal, workflow: str | None, endpoint: str,
                outcome: str, seconds: float, entities: Mapping[str, int],
                error: ResguardoError | None, provider: str | None,
                model: str | None) -> None:
        m = self.metrics
        if m is not None:
            m.observe_request(endpoint, workflow, outcome, seconds)
            if entities:
                m.entities(workflow, entities)
            if outcome == "blocked" and error is not None:
                m.blocked(endpoint, workflow, block_reason(error))
        if self.feed is not None and workflow is not None:
            self.feed.submit(RequestObservation(
                key_id=principal.key_id, workflow=workflow, provider=provider, model=model,
                entities=sum(entities.values()), blocked=outcome == "blocked",
                source_ip=principal.source_ip))

    def provider_error(self, provider: str | None, exc: ResguardoError) -> None:
        """Count one failed upstream attempt (fallbacks included)."""
        if self.metrics is not None:
            self.metrics.provider_error(provider, provider_error_kind(exc))
