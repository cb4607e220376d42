"""Build the audit log, metrics and anomaly detector from ``Services`` (for the app factory)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resguardo.audit.hashing import SubjectHasher
from resguardo.audit.log import DbAuditLog
from resguardo.audit.signing import CheckpointSigner, load_signing_key
from resguardo.audit.witness import CheckpointScheduler
from resguardo.errors import ConfigError
from resguardo.monitor.anomaly import AlertDispatcher, AnomalyDetector
from resguardo.monitor.counters import CounterStore, MemoryCounters, RedisCounters
from resguardo.monitor.metrics import Metrics
from resguardo.monitor.webhook import AiohttpWebhookTransport, WebhookTransport
from resguardo.services import Services

__all__ = [
    "SIGNING_KEY_FILE",
    "SUBJECT_KEY_FILE",
    "AuditComponents",
    "build_audit",
    "load_or_create_secret",
]

SIGNING_KEY_FILE = "audit_signing.pem"
SUBJECT_KEY_FILE = "audit_subject.key"


@dataclass
class AuditComponents:
    """What ``build_audit`` made; also placed in ``services.extras``."""

    log: DbAuditLog
    metrics: Metrics
    anomaly: AnomalyDetector
    signer: CheckpointSigner
    scheduler: CheckpointScheduler | None = None


def load_or_create_secret(path: Path, size: int = 32) -> bytes:
    """Read a raw secret file, creating it (random, mode 0600) when missing."""
    if path.exists():
        data = path.read_bytes()
        if len(data) < size:
            raise ConfigError("The audit subject key file is too short.")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(size)
    # O_EXCL + 0600: created once, readable by the service user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data


def build_audit(
    services: Services,
    *,
    signing_key: Ed25519PrivateKey | None = None,
    subject_hasher: SubjectHasher | None = None,
    encryptor: Any | None = None,
    transport: WebhookTransport | None = None,
    redis_client: Any | None = None,
    checkpoint_interval: float | None = 3600.0,
    witness_path: Path | None = None,
    witness_url: str | None = None,
) -> AuditComponents:
    """Wire the audit log, metrics and anomaly alerts into ``services`` (no I/O but key files).

    Subject hashes use, in order: ``subject_hasher``; the crypto area's blind indexer
    from ``encryptor`` (set at start-up, as it needs the database); a 0600 key file in
    the data directory. The signing key defaults to ``<data_dir>/audit_signing.pem``.
    """
    settings, policy, clock = services.settings, services.policy, services.clock
    key = signing_key or load_signing_key(settings.data_dir / SIGNING_KEY_FILE)
    signer = CheckpointSigner(key)
    hasher = subject_hasher
    if hasher is None and encryptor is None:
        hasher = SubjectHasher(load_or_create_secret(settings.data_dir / SUBJECT_KEY_FILE))
    metrics = Metrics(policy)
    log = DbAuditLog(
        services.db, clock, signer, hasher, on_write_failure=metrics.audit_write_failure
    )
    counters: CounterStore
    if redis_client is not None:
        counters = RedisCounters(redis_client)
    elif settings.redis_url:
        import redis.asyncio as aioredis

        counters = RedisCounters(aioredis.from_url(settings.redis_url))
    else:
        counters = MemoryCounters(clock)
    anomaly_cfg = policy.anomaly
    webhook_url = anomaly_cfg.webhook_url
    if anomaly_cfg.webhook_url_file:
        webhook_url = Path(anomaly_cfg.webhook_url_file).read_text(encoding="utf-8").strip()
    transport = transport or AiohttpWebhookTransport()
    dispatcher = AlertDispatcher(
        audit=log, transport=transport, webhook_url=webhook_url, metrics=metrics
    )
    anomaly = AnomalyDetector(anomaly_cfg, counters, clock, dispatcher)
    scheduler = None
    if checkpoint_interval and (witness_path or witness_url):
        scheduler = CheckpointScheduler(
            log, checkpoint_interval, path=witness_path, url=witness_url, transport=transport
        )
    parts = AuditComponents(log, metrics, anomaly, signer, scheduler)

    async def start() -> None:
        if log.hasher is None and encryptor is not None:
            log.hasher = SubjectHasher(await encryptor.blind_indexer())
        await log.ensure_head()
        if scheduler is not None:
            await scheduler.start()

    async def stop() -> None:
        if scheduler is not None:
            await scheduler.stop()
        await log.aclose()

    extras = services.extras
    extras.update(audit=parts, audit_sink=log, metrics=metrics, anomaly=anomaly)
    extras.setdefault("startup", []).append(start)
    # Runs before the database is disposed: shutdown hooks run in reverse order.
    extras.setdefault("shutdown", []).append(stop)
    return parts
