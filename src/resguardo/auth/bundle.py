"""Wire the access-control parts together once per process (the app factory and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resguardo.audit.events import AuditSink
from resguardo.auth.access_log import AccessLog
from resguardo.auth.admins import AdminService
from resguardo.auth.authenticator import KeyAuthenticator
from resguardo.auth.epochs import EpochBoard, FileEpochs, LocalEpochs, RedisEpochs
from resguardo.auth.hashing import KeyHasher, TotpSealer, load_or_create_pepper
from resguardo.auth.keys import KeyService
from resguardo.auth.passwords import Argon2Params, PasswordVault
from resguardo.auth.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from resguardo.auth.sessions import SessionService, SessionTimeouts
from resguardo.auth.throttle import LoginThrottle
from resguardo.clock import Clock
from resguardo.policy.schema import Policy
from resguardo.store.db import Database

__all__ = ["AuthServices", "build_auth_services", "pepper_from", "pepper_path", "redis_client"]


@dataclass
class AuthServices:
    """Everything access control offers the rest of the process."""

    hasher: KeyHasher
    access_log: AccessLog
    keys: KeyService
    authenticator: KeyAuthenticator
    limiter: RateLimiter
    sessions: SessionService
    admins: AdminService
    throttle: LoginThrottle
    policy: Policy
    clock: Clock


def pepper_path(data_dir: Path) -> Path:
    """Default location of the auth pepper file (0600) in the data directory."""
    return data_dir / "auth_pepper.key"


def build_auth_services(
    *,
    db: Database,
    policy: Policy,
    clock: Clock,
    pepper: bytes,
    audit_sink: AuditSink,
    redis: Any | None = None,
    epoch_file: Path | None = None,
    environments: tuple[str, ...] | None = None,
    cache_ttl: float = 30.0,
    argon2: Argon2Params | None = None,
    session_timeouts: SessionTimeouts | None = None,
    log_key_success: bool = True,
) -> AuthServices:
    """Build the services. Revocation fan-out: Redis if given, else ``epoch_file``
    (server and CLI on one host), else in-process only."""
    hasher = KeyHasher(pepper)
    log = AccessLog(audit_sink)
    epochs: EpochBoard
    if redis is not None:
        epochs = RedisEpochs(redis)
    elif epoch_file is not None:
        epochs = FileEpochs(epoch_file)
    else:
        epochs = LocalEpochs()
    limiter: RateLimiter = RedisRateLimiter(redis, clock) if redis is not None \
        else MemoryRateLimiter(clock)
    sessions = SessionService(db, hasher, clock, session_timeouts)
    throttle = LoginThrottle(db, hasher, clock)
    admins = AdminService(db, hasher, clock, PasswordVault(argon2), TotpSealer.from_hasher(hasher),
                          sessions, throttle, log)
    keys = KeyService(db, hasher, clock, policy, epochs, log)
    authenticator = KeyAuthenticator(db, hasher, clock, policy, epochs=epochs, access_log=log,
                                     cache_ttl=cache_ttl, environments=environments,
                                     limiter=limiter, log_success=log_key_success)
    return AuthServices(hasher=hasher, access_log=log, keys=keys, authenticator=authenticator,
                        limiter=limiter, sessions=sessions, admins=admins, throttle=throttle,
                        policy=policy, clock=clock)


def redis_client(url: str) -> Any:
    """An asyncio Redis client for ``settings.redis_url`` (imported only when configured)."""
    import redis.asyncio as aioredis

    return aioredis.from_url(url)


def pepper_from(data_dir: Path) -> bytes:
    """Load (or create on first use) the pepper file in the data directory."""
    return load_or_create_pepper(pepper_path(data_dir))
