"""Assemble the process from settings: the one place that knows how the areas fit together."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from resguardo.clock import Clock, SystemClock
from resguardo.errors import AuditWriteFailed, ConfigError
from resguardo.policy.schema import Policy
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.store.migrate import upgrade

__all__ = ["build_services", "initialise", "is_initialised", "load_policy_file"]


def is_initialised(settings: Settings) -> bool:
    """Whether ``init`` has run for this data directory."""
    return settings.policy_path.exists()


def load_policy_file(path: Path) -> Policy:
    """Load and validate the policy file (errors name file, line and field)."""
    from resguardo.policy.loader import load_policy

    return load_policy(path).policy


async def initialise(settings: Settings) -> list[str]:
    """Create the data directory, a KEK file (0600), the default policy and the schema."""
    done: list[str] = []
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if settings.kek_env is None and not settings.kek_file.exists():
        from resguardo.crypto.keyprovider import FileKeyProvider

        FileKeyProvider.create(settings.kek_file)
        done.append(f"created key-encryption key {settings.kek_file}")
    if not settings.policy_path.exists():
        from resguardo.policy.loader import default_policy_text

        settings.policy_path.parent.mkdir(parents=True, exist_ok=True)
        settings.policy_path.write_text(default_policy_text(), encoding="utf-8")
        done.append(f"wrote default policy {settings.policy_path}")
    db = Database(settings.effective_database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    done.append("database schema up to date")
    return done


def build_services(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    policy: Policy | None = None,
) -> Services:
    """Build every long-lived part once; the app factory and the CLI share this.

    Synchronous on purpose: nothing here may open a connection, because uvicorn runs the
    app in its own event loop. Async set-up goes into ``services.extras["startup"]``.
    """
    env = os.environ if env is None else env
    if policy is None:
        if not settings.policy_path.exists():
            raise ConfigError("No policy file: run `resguardo init` first.")
        policy = load_policy_file(settings.policy_path)
    db = Database(settings.effective_database_url)
    clock = clock or SystemClock()
    services = Services(settings=settings, policy=policy, db=db, clock=clock)
    services.extras.setdefault("shutdown", []).append(db.dispose)
    _wire_areas(services, env)
    return services


def _wire_areas(services: Services, env: Mapping[str, str]) -> None:
    """Each area's parts, in dependency order: crypto → audit → auth → gateway → the rest."""
    from resguardo.audit.wiring import build_audit
    from resguardo.auth.bundle import build_auth_services, pepper_from, redis_client
    from resguardo.crypto import encryptor_from_settings
    from resguardo.gateway.wiring import install_gateway
    from resguardo.governance.wiring import build_governance
    from resguardo.vault.sessions import EncryptedSessionStore

    settings, policy, db, clock = services.settings, services.policy, services.db, services.clock
    extras = services.extras
    encryptor = encryptor_from_settings(settings, env, db, clock)
    extras["encryptor"] = encryptor
    audit = build_audit(services, encryptor=encryptor)
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    services.auth = build_auth_services(
        db=db,
        policy=policy,
        clock=clock,
        pepper=pepper_from(settings.data_dir),
        audit_sink=audit.log,
        redis=redis,
        epoch_file=settings.data_dir / "auth_epoch",
    )
    extras.setdefault("shutdown", []).append(services.auth.authenticator.aclose)
    # Sessions live in the database, sealed: they survive restarts and span replicas.
    sessions = EncryptedSessionStore(db, encryptor, clock)
    extras["session_store"] = sessions
    gateway = install_gateway(
        services, env=env, authenticator=services.auth.authenticator, audit=audit.log,
        metrics=audit.metrics, anomaly=audit.anomaly, sessions=sessions,
    ).gateway
    governance = build_governance(
        db=db,
        policy=policy,
        clock=clock,
        audit=audit.log,
        keys=services.auth.keys,
        encryptor=encryptor,
        checkpoints=audit.log,
        evidence_dir=settings.data_dir / "evidence",
    )
    audit_log = audit.log

    def subject_hash(value: str, kind: str) -> str:
        # The audit log's keyed hasher (set at start-up from the blind-index key), so a DPO's
        # `audit query --subject` and the breach register find gateway requests too.
        if audit_log.hasher is None:
            raise AuditWriteFailed("The subject hash key is not loaded.")
        return audit_log.hasher.hash(value, kind)

    gateway.subject_hasher = subject_hash
    extras["governance"] = governance
    extras["review_queue"] = governance.reviews
    extras["breach_register"] = governance.register
    gateway.reviews = governance.reviews

    async def start_isolation_guard() -> None:
        # Needs the blind-index key, which lives in the database: built at start-up.
        from resguardo.isolation.guard import LiveSubjectGuard

        dispatcher = audit.anomaly.dispatcher
        gateway.live_guard = LiveSubjectGuard(
            db,
            await encryptor.blind_indexer(),
            audit=audit.log,
            on_alert=dispatcher.dispatch if dispatcher is not None else None,
            clock=clock,
        )

    extras.setdefault("startup", []).append(start_isolation_guard)
    _wire_vault_and_jobs(services, encryptor, audit.log, governance, sessions)


def _wire_vault_and_jobs(
    services: Services, encryptor: Any, audit_log: Any, governance: Any, sessions: Any
) -> None:
    """The vault stack (built lazily in the server's loop) and the periodic jobs."""
    from resguardo.background import Jobs
    from resguardo.retention.loop import run_retention
    from resguardo.vault.wiring import (
        STACK_EXTRA,
        build_vault_stack,
        db_audit_history,
        lazy_vault_stack,
    )

    db, policy, clock = services.db, services.policy, services.clock
    get_stack = lazy_vault_stack(
        lambda: build_vault_stack(
            db=db,
            policy=policy,
            clock=clock,
            encryptor=encryptor,
            audit=audit_log,
            audit_query=db_audit_history(db),
        )
    )
    services.extras[STACK_EXTRA] = get_stack
    jobs = Jobs()

    async def retention() -> None:
        await run_retention(await get_stack(), dry_run=False)

    jobs.add("retention", 3600.0, retention)
    jobs.add("breach-deadlines", 300.0, governance.deadlines.tick)
    jobs.add("session-purge", 600.0, sessions.purge_expired)
    if governance.reviews is not None:
        jobs.add("review-expiry", 300.0, governance.reviews.sweep)
        jobs.add("review-callbacks", 60.0, governance.reviews.retry_callbacks)
    services.extras["jobs"] = jobs
    services.extras.setdefault("startup", []).append(jobs.start)
    # Registered after the database's dispose hook, so it runs before it on shutdown.
    services.extras.setdefault("shutdown", []).append(jobs.stop)
