"""``KeyAuthenticator``: a presented API key → a ``Principal``, in microseconds when cached.

The cache is keyed by key id and holds the stored hashes and status; it is trusted only
while the key's revocation epoch is unchanged (see ``epochs``) and for at most
``cache_ttl`` seconds, so a revoke or rotate bites on the very next request. The secret
is checked with an HMAC and ``hmac.compare_digest`` on every request, cached or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from resguardo.auth.access_log import AccessLog
from resguardo.auth.epochs import EpochBoard
from resguardo.auth.hashing import KeyHasher
from resguardo.auth.keyformat import ParsedKey, parse_key
from resguardo.auth.keys import KEY_HASH_PURPOSE
from resguardo.auth.principal import Principal, Scopes
from resguardo.auth.ratelimit import RateLimiter
from resguardo.auth.scopes import ip_allowed, scopes_from_json
from resguardo.auth.tables import ApiKeyRow
from resguardo.clock import Clock, as_utc
from resguardo.errors import AuthError, Forbidden, Unauthenticated
from resguardo.policy.schema import Policy
from resguardo.store.db import Database

__all__ = ["KeyAuthenticator"]


@dataclass(frozen=True)
class _Entry:
    workflow_id: str
    environment: str
    scopes: Scopes
    secret_hash: str
    previous_hash: str | None
    previous_valid_until: datetime | None
    expires_at: datetime | None
    revoked: bool
    epoch: object
    fetched_at: float


class KeyAuthenticator:
    """Implements ``Authenticator`` for API keys."""

    def __init__(
        self,
        db: Database,
        hasher: KeyHasher,
        clock: Clock,
        policy: Policy,
        *,
        epochs: EpochBoard,
        access_log: AccessLog | None = None,
        cache_ttl: float = 30.0,
        environments: Iterable[str] | None = None,
        limiter: RateLimiter | None = None,
        last_used_interval: float = 60.0,
        log_success: bool = True,
        max_cache: int = 50_000,
    ) -> None:
        self.db = db
        self.hasher = hasher
        self.clock = clock
        self.policy = policy
        self.epochs = epochs
        self.log = access_log
        self.cache_ttl = cache_ttl
        # The environments this deployment serves: a test key never reaches a live gateway.
        self.environments = frozenset(environments or (str(e) for e in policy.environments))
        self.limiter = limiter
        self.last_used_interval = last_used_interval
        self.log_success = log_success
        self.max_cache = max_cache
        self._cache: dict[str, _Entry] = {}
        self._used: dict[str, datetime] = {}
        self._last_flush = clock.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()

    async def authenticate(self, bearer: str | None, source_ip: str | None) -> Principal:
        """Verify the key and every key-level condition; log the outcome."""
        parsed: ParsedKey | None = None
        entry: _Entry | None = None
        try:
            parsed = self._parse(bearer)
            entry = await self._entry(parsed.key_id)
            principal = self._check(parsed, entry, source_ip)
        except AuthError as exc:
            if self.log is not None:
                await self.log.record(
                    "auth.key", "failure", actor=parsed.key_id if parsed else None,
                    workflow=entry.workflow_id if entry else None,
                    environment=entry.environment if entry else None,
                    source_ip=source_ip, reason=exc.code,
                )
            raise
        if self.limiter is not None:
            await self.limiter.check_request(principal)
        self._note_use(principal.key_id)
        if self.log_success and self.log is not None:
            await self.log.record("auth.key", "success", actor=principal.key_id,
                                  workflow=principal.workflow_id,
                                  environment=principal.environment, source_ip=source_ip)
        return principal

    def _parse(self, bearer: str | None) -> ParsedKey:
        token = (bearer or "").strip()
        scheme, _, rest = token.partition(" ")
        if scheme.lower() == "bearer":
            token = rest.strip()
        if not token:
            raise Unauthenticated("An API key is required.", code="missing_credentials")
        return parse_key(token)

    async def _entry(self, key_id: str) -> _Entry | None:
        # Read the epoch before the row: a bump in between leaves a stale epoch cached,
        # which forces another fetch next time rather than trusting an old row.
        epoch = await self.epochs.current(key_id)
        cached = self._cache.get(key_id)
        mono = self.clock.monotonic()
        if cached is not None and cached.epoch == epoch \
                and mono - cached.fetched_at < self.cache_ttl:
            return cached
        async with self.db.session() as session:
            row = await session.get(ApiKeyRow, key_id)
            if row is None:
                self._cache.pop(key_id, None)
                return None
            entry = _Entry(
                workflow_id=row.workflow_id, environment=row.environment,
                scopes=scopes_from_json(row.scopes_json), secret_hash=row.secret_hash,
                previous_hash=row.previous_hash,
                previous_valid_until=as_utc(row.previous_valid_until),
                expires_at=as_utc(row.expires_at), revoked=row.revoked_at is not None,
                epoch=epoch, fetched_at=mono,
            )
        if len(self._cache) >= self.max_cache:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key_id] = entry
        return entry

    def _secret_ok(self, parsed: ParsedKey, entry: _Entry | None, now: datetime) -> bool:
        if entry is None:
            # Unknown id: still spend one HMAC so timing doesn't tell ids apart.
            self.hasher.matches(None, KEY_HASH_PURPOSE, parsed.key_id, parsed.secret)
            return False
        current = self.hasher.matches(entry.secret_hash, KEY_HASH_PURPOSE,
                                      parsed.key_id, parsed.secret)
        previous = (
            entry.previous_hash is not None
            and entry.previous_valid_until is not None
            and now < entry.previous_valid_until
            and self.hasher.matches(entry.previous_hash, KEY_HASH_PURPOSE,
                                    parsed.key_id, parsed.secret)
        )
        # The prefix is part of the credential: a live secret under "rsg_test_" is wrong.
        return (current or previous) and parsed.environment == entry.environment

    def _check(self, parsed: ParsedKey, entry: _Entry | None, source_ip: str | None) -> Principal:
        now = self.clock.now()
        if entry is None or not self._secret_ok(parsed, entry, now):
            # One answer for unknown id and wrong secret: nothing to enumerate.
            raise Unauthenticated("The API key is not valid.", code="invalid_key")
        # Past this point the caller proved possession, so precise reasons are safe to give.
        if entry.revoked:
            raise Unauthenticated("The API key has been revoked.", code="key_revoked")
        if entry.expires_at is not None and now >= entry.expires_at:
            raise Unauthenticated("The API key has expired.", code="key_expired")
        if entry.environment not in self.environments:
            raise Forbidden("The key's environment is not served here.",
                            code="wrong_environment")
        workflow = self.policy.workflow(entry.workflow_id)
        if workflow is None:
            raise Forbidden("The key's workflow is not in the policy.", code="workflow_unknown")
        if entry.environment not in workflow.environments:
            raise Forbidden("The workflow does not run in this environment.",
                            code="wrong_environment")
        if not ip_allowed(entry.scopes, source_ip):
            raise Forbidden("The key may not be used from this address.",
                            code="source_not_allowed")
        return Principal(key_id=parsed.key_id, workflow_id=entry.workflow_id,
                         environment=entry.environment, scopes=entry.scopes,
                         source_ip=source_ip)

    def _note_use(self, key_id: str) -> None:
        # Last-used is batched: one write per key per interval, not one per request.
        self._used[key_id] = self.clock.now()
        mono = self.clock.monotonic()
        if mono - self._last_flush >= self.last_used_interval:
            self._last_flush = mono
            task = asyncio.get_running_loop().create_task(self.flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Write pending last-used times now (also called on shutdown)."""
        used, self._used = self._used, {}
        if not used:
            return
        async with self.db.session() as session:
            for key_id, when in used.items():
                await session.execute(
                    update(ApiKeyRow).where(ApiKeyRow.key_id == key_id).values(last_used_at=when)
                )

    async def aclose(self) -> None:
        """Wait for background flushes and write what is pending."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.flush()

    def invalidate(self, key_id: str | None = None) -> None:
        """Drop one cached key (or all): for tests and policy reloads."""
        if key_id is None:
            self._cache.clear()
        else:
            self._cache.pop(key_id, None)
