"""Assemble the gateway from settings, policy and the parts other areas provide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resguardo.audit.events import AuditSink
from resguardo.auth.principal import Authenticator
from resguardo.clock import Clock, SystemClock
from resguardo.detect.types import Detector
from resguardo.gateway.observe import AnomalyObserver
from resguardo.gateway.pipeline import Gateway
from resguardo.gateway.protect import ProtectService
from resguardo.gateway.sessions import MemorySessionStore, SessionStore
from resguardo.monitor.metrics import Metrics
from resguardo.policy.schema import Policy
from resguardo.providers.base import Credentials
from resguardo.providers.registry import build_adapters
from resguardo.providers.transport import AiohttpTransport, Transport
from resguardo.settings import Settings

__all__ = ["GatewayParts", "default_detector", "gateway_services", "install_gateway"]

ROUTER_MODULE = "resguardo.http.gateway_routes"


@dataclass
class GatewayParts:
    """What the app needs from this area: the gateway, protect/restore and the transport."""

    gateway: Gateway
    protect: ProtectService
    transport: Transport


def default_detector(policy: Policy) -> Detector:
    """The detection area's analyzer built from the policy's custom recognizers."""
    from resguardo.detect.analyzer import build_analyzer

    return build_analyzer(custom=policy.recognizers, ner=None)


def gateway_services(
    settings: Settings,
    policy: Policy,
    env: Mapping[str, str],
    *,
    audit: AuditSink,
    detector: Detector | None = None,
    transport: Transport | None = None,
    sessions: SessionStore | None = None,
    clock: Clock | None = None,
    backoff: float = 0.25,
    metrics: Metrics | None = None,
    anomaly: AnomalyObserver | None = None,
    anomaly_queue: int = 1000,
) -> GatewayParts:
    """Build the gateway; ``env`` resolves provider credentials (never read os.environ here).

    ``metrics`` and ``anomaly`` (both optional) receive every request: counts, latency,
    entities per category, provider errors and block reasons; anomaly observation runs in
    the background and never delays or fails a request.
    """
    from resguardo.vault.pseudonymize import FakerSurrogates

    clock = clock or SystemClock()
    transport = transport or AiohttpTransport()
    detector = detector or default_detector(policy)
    surrogate_factory: FakerSurrogates | None = None

    def surrogates() -> FakerSurrogates:
        # Faker is slow to build: one instance per process, made on first use.
        nonlocal surrogate_factory
        if surrogate_factory is None:
            surrogate_factory = FakerSurrogates()
        return surrogate_factory

    gateway = Gateway(
        policy=policy,
        detector=detector,
        adapters=build_adapters(policy, transport, backoff=backoff),
        credentials=Credentials(env, settings.data_dir),
        audit=audit,
        clock=clock,
        surrogates=surrogates,
        metrics=metrics,
        anomaly=anomaly,
        anomaly_queue=anomaly_queue,
    )
    protect = ProtectService(gateway, sessions or MemorySessionStore(clock))
    return GatewayParts(gateway, protect, transport)


def install_gateway(
    services: Any,
    *,
    env: Mapping[str, str],
    authenticator: Authenticator,
    audit: AuditSink,
    detector: Detector | None = None,
    transport: Transport | None = None,
    sessions: SessionStore | None = None,
    backoff: float = 0.25,
    metrics: Metrics | None = None,
    anomaly: AnomalyObserver | None = None,
) -> GatewayParts:
    """Put the gateway into ``services.extras`` (routes, start-up and shutdown hooks)."""
    parts = gateway_services(
        services.settings, services.policy, env, audit=audit, detector=detector,
        transport=transport, sessions=sessions, clock=services.clock, backoff=backoff,
        metrics=metrics, anomaly=anomaly,
    )
    extras = services.extras
    extras["gateway"] = parts.gateway
    extras["protect"] = parts.protect
    extras["authenticator"] = authenticator
    modules = extras.setdefault("router_modules", [])
    if ROUTER_MODULE not in modules:
        modules.append(ROUTER_MODULE)
    start = getattr(parts.transport, "start", None)
    close = getattr(parts.transport, "close", None)
    if start is not None:
        extras.setdefault("startup", []).append(start)
    if close is not None:
        extras.setdefault("shutdown", []).append(close)
    # Shutdown hooks run in reverse: queued observations (and their alerts) finish before
    # the audit log and the database close.
    extras.setdefault("shutdown", []).append(parts.gateway.aclose)
    return parts
