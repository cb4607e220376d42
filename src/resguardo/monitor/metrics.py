"""Prometheus metrics on a per-app registry, with labels drawn only from fixed sets.

Every label value passes through an allow-list (policy ids, endpoint names, fixed
outcome words); anything else becomes ``"other"``. So no caller-supplied string, and
therefore no personal value, can ever reach ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from resguardo.policy.schema import Endpoint, Policy

__all__ = [
    "BLOCK_REASONS",
    "CONTENT_TYPE",
    "ENDPOINTS",
    "OUTCOMES",
    "PROVIDER_ERRORS",
    "REFUSAL_CODES",
    "Metrics",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
ENDPOINTS: frozenset[str] = frozenset(get_args(Endpoint))
OUTCOMES = frozenset({"forwarded", "masked", "blocked", "error", "rejected", "ok"})
BLOCK_REASONS = frozenset(
    {"policy", "category", "provider", "scope", "rate_limit", "detection_failed",
     "audit_failed", "reply_scan"}
)
PROVIDER_ERRORS = frozenset({"timeout", "status", "connection", "invalid_response"})
# Error codes of requests refused before the gateway sees them (authentication, body shape
# and size); the codes are fixed words, and any other becomes "other".
REFUSAL_CODES = frozenset(
    {"missing_credentials", "malformed_key", "invalid_key", "key_revoked", "key_expired",
     "wrong_environment", "workflow_unknown", "source_not_allowed", "rate_limited",
     "invalid_json", "invalid_request", "payload_too_large"}
)
ALERT_RULES = frozenset(
    {"rate", "entities", "blocked_ratio", "new_provider", "new_model", "off_hours", "new_network"}
)
OTHER = "other"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def _pick(value: str | None, allowed: Iterable[str]) -> str:
    return value if value is not None and value in allowed else OTHER


class Metrics:
    """The process's counters and histograms; ``render`` gives the exposition text."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.workflows = frozenset(w.id for w in policy.workflows) if policy else frozenset()
        self.providers = frozenset(p.id for p in policy.providers) if policy else frozenset()
        self.categories = frozenset(c.id for c in policy.categories) if policy else frozenset()
        r = self.registry
        self._requests = Counter(
            "resguardo_requests", "Gateway requests by endpoint, workflow and outcome.",
            ["endpoint", "workflow", "outcome"], registry=r,
        )
        self._latency = Histogram(
            "resguardo_request_latency_seconds", "End-to-end request latency.",
            ["endpoint", "workflow"], buckets=_LATENCY_BUCKETS, registry=r,
        )
        self._blocked = Counter(
            "resguardo_blocked_requests", "Requests refused before anything was forwarded.",
            ["endpoint", "workflow", "reason"], registry=r,
        )
        self._entities = Counter(
            "resguardo_entities", "Personal-data entities detected, by data category.",
            ["workflow", "category"], registry=r,
        )
        self._provider_errors = Counter(
            "resguardo_provider_errors", "Upstream provider failures.",
            ["provider", "kind"], registry=r,
        )
        self._audit_failures = Counter(
            "resguardo_audit_write_failures", "Audit events that could not be stored.",
            registry=r,
        )
        self._alerts = Counter(
            "resguardo_anomaly_alerts", "Anomaly alerts raised, by rule.", ["rule"], registry=r,
        )
        self._refused = Counter(
            "resguardo_refused_requests",
            "Gateway requests refused before reaching the gateway (auth, body, size).",
            ["endpoint", "code"], registry=r,
        )
        self._anomaly_dropped = Counter(
            "resguardo_anomaly_dropped", "Requests not observed for anomalies (queue full).",
            registry=r,
        )

    def _wf(self, workflow: str | None) -> str:
        return _pick(workflow, self.workflows)

    def observe_request(
        self, endpoint: str, workflow: str | None, outcome: str, seconds: float
    ) -> None:
        """Count one finished request and its latency."""
        ep, wf = _pick(endpoint, ENDPOINTS), self._wf(workflow)
        self._requests.labels(ep, wf, _pick(outcome, OUTCOMES)).inc()
        self._latency.labels(ep, wf).observe(max(0.0, seconds))

    def blocked(self, endpoint: str, workflow: str | None, reason: str) -> None:
        """Count a refused request."""
        self._blocked.labels(
            _pick(endpoint, ENDPOINTS), self._wf(workflow), _pick(reason, BLOCK_REASONS)
        ).inc()

    def entities(self, workflow: str | None, by_category: Mapping[str, int]) -> None:
        """Count detected entities per data category (counts only, never values)."""
        wf = self._wf(workflow)
        for category, count in by_category.items():
            if count > 0:
                self._entities.labels(wf, _pick(category, self.categories)).inc(count)

    def provider_error(self, provider: str | None, kind: str) -> None:
        """Count an upstream failure."""
        self._provider_errors.labels(
            _pick(provider, self.providers), _pick(kind, PROVIDER_ERRORS)
        ).inc()

    def audit_write_failure(self, count: int = 1) -> None:
        """Count audit events that were not stored (wire to ``DbAuditLog(on_write_failure=)``)."""
        self._audit_failures.inc(count)

    def alert(self, rule: str) -> None:
        """Count an anomaly alert."""
        self._alerts.labels(_pick(rule, ALERT_RULES)).inc()

    def refused(self, endpoint: str, code: str) -> None:
        """Count a request refused before the gateway (no key, bad key, bad JSON, too large)."""
        self._refused.labels(_pick(endpoint, ENDPOINTS), _pick(code, REFUSAL_CODES)).inc()

    def anomaly_dropped(self, count: int = 1) -> None:
        """Count requests whose anomaly observation was dropped because its queue was full."""
        self._anomaly_dropped.inc(count)

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
