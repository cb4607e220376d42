"""Assemble the governance services once per process (the app factory and the CLI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from resguardo.audit.events import AuditSink
from resguardo.clock import Clock
from resguardo.crypto.encryptor import Encryptor
from resguardo.governance.deadlines import DeadlineMonitor
from resguardo.governance.evidence import AuditEvidenceFreezer, CheckpointSource
from resguardo.governance.incidents import BreachRegister, KeyActions
from resguardo.governance.observed import AuditReader, DbAuditReader
from resguardo.governance.review import ReviewQueue
from resguardo.monitor.webhook import WebhookTransport
from resguardo.policy.schema import Policy
from resguardo.settings import Settings
from resguardo.store.db import Database

__all__ = ["Governance", "build_governance", "governance_from_settings"]


@dataclass
class Governance:
    """Everything governance offers the rest of the process."""

    policy: Policy
    clock: Clock
    reader: AuditReader
    register: BreachRegister
    deadlines: DeadlineMonitor
    reviews: ReviewQueue | None


def build_governance(
    *, db: Database, policy: Policy, clock: Clock, audit: AuditSink,
    keys: KeyActions | None = None, encryptor: Encryptor | None = None,
    checkpoints: CheckpointSource | None = None, evidence_dir: Path | None = None,
    transport: WebhookTransport | None = None, alert_url: str | None = None,
    review_ttl: timedelta = timedelta(days=7), reader: AuditReader | None = None,
) -> Governance:
    """Build the register, the deadline monitor and (with an encryptor) the review queue."""
    reader = reader or DbAuditReader(db)
    register = BreachRegister(db, policy, clock, audit, reader, keys=keys,
                              evidence=AuditEvidenceFreezer(db, checkpoints, evidence_dir))
    monitor = DeadlineMonitor(db, clock, audit, policy.breach_deadline_hours,
                              transport=transport, url=alert_url)
    reviews = ReviewQueue(db, policy, clock, audit, encryptor, transport=transport,
                          ttl=review_ttl) if encryptor is not None else None
    return Governance(policy, clock, reader, register, monitor, reviews)


def _alert_url(policy: Policy) -> str | None:
    a = policy.anomaly
    if a.webhook_url_file:
        return Path(a.webhook_url_file).read_text(encoding="utf-8").strip() or None
    return a.webhook_url


@asynccontextmanager
async def governance_from_settings(
    settings: Settings, env: Mapping[str, str], clock: Clock, *, with_keys: bool = True,
    with_reviews: bool = True,
) -> AsyncIterator[Governance]:
    """Governance over the configured store, audit log (signing key) and KEK, for the CLI."""
    from resguardo.audit.log import DbAuditLog
    from resguardo.audit.signing import load_signing_key
    from resguardo.audit.wiring import SIGNING_KEY_FILE
    from resguardo.bootstrap import load_policy_file
    from resguardo.crypto.factory import encryptor_from_settings
    from resguardo.monitor.webhook import AiohttpWebhookTransport

    policy = load_policy_file(settings.policy_path)
    db = Database(settings.effective_database_url)
    log = DbAuditLog(db, clock, load_signing_key(settings.data_dir / SIGNING_KEY_FILE))
    keys: Any = None
    auth: Any = None
    try:
        if with_keys:
            from resguardo.auth.bundle import build_auth_services, pepper_from

            auth = build_auth_services(db=db, policy=policy, clock=clock,
                                       pepper=pepper_from(settings.data_dir), audit_sink=log,
                                       epoch_file=settings.data_dir / "auth_epoch")
            keys = auth.keys
        yield build_governance(
            db=db, policy=policy, clock=clock, audit=log, keys=keys,
            encryptor=encryptor_from_settings(settings, env, db, clock) if with_reviews
            else None, checkpoints=log,
            evidence_dir=settings.data_dir / "evidence", transport=AiohttpWebhookTransport(),
            alert_url=_alert_url(policy))
    finally:
        if auth is not None:
            await auth.authenticator.aclose()
        await log.aclose()
        await db.dispose()
