"""Per-key rate limits: requests and model tokens per minute, as token buckets.

A request takes one unit from the request bucket and is refused while the token bucket
is in debt; model tokens are charged after the reply (their count is known only then),
so one large reply can overdraw the bucket and later requests wait for it to refill.
``MemoryRateLimiter`` serves one process; ``RedisRateLimiter`` shares the buckets.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from resguardo.auth.principal import Principal
from resguardo.clock import Clock
from resguardo.errors import RateLimited

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]


class RateLimiter(Protocol):
    """What the authenticator and the gateway call."""

    async def check_request(self, principal: Principal) -> None: ...

    async def charge_tokens(self, principal: Principal, tokens: int) -> None: ...


def _refused(kind: str, retry_after: float) -> RateLimited:
    return RateLimited("The key's rate limit is exhausted.", code="rate_limited",
                       details={"limit": kind, "retry_after": max(1, math.ceil(retry_after))})


class MemoryRateLimiter:
    """Buckets in a dict, refilled continuously from the injected clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def _take(self, key: tuple[str, str], per_minute: int, cost: float,
              allow_debt: bool) -> tuple[bool, float]:
        now = self.clock.monotonic()
        rate = per_minute / 60.0
        level, at = self._buckets.get(key, (float(per_minute), now))
        level = min(float(per_minute), level + (now - at) * rate)
        if level < cost and not allow_debt:
            self._buckets[key] = (level, now)
            return False, (cost - level) / rate
        if allow_debt and cost == 0 and level <= 0:
            self._buckets[key] = (level, now)
            return False, (1 - level) / rate
        self._buckets[key] = (level - cost, now)
        return True, 0.0

    async def check_request(self, principal: Principal) -> None:
        """Take one request; refuse while the token bucket is overdrawn."""
        scopes = principal.scopes
        if scopes.tokens_per_minute:
            ok, wait = self._take((principal.key_id, "tpm"), scopes.tokens_per_minute, 0, True)
            if not ok:
                raise _refused("tokens_per_minute", wait)
        if scopes.requests_per_minute:
            ok, wait = self._take((principal.key_id, "rpm"), scopes.requests_per_minute, 1, False)
            if not ok:
                raise _refused("requests_per_minute", wait)

    async def charge_tokens(self, principal: Principal, tokens: int) -> None:
        """Charge model tokens used by a finished request (may overdraw)."""
        if principal.scopes.tokens_per_minute and tokens > 0:
            self._take((principal.key_id, "tpm"), principal.scopes.tokens_per_minute,
                       float(tokens), True)


# KEYS[1]=bucket; ARGV: capacity, rate per ms, cost, now ms, allow_debt (0/1)
# Returns {allowed, wait_ms}. Atomic, so replicas never double-spend a bucket.
_LUA = """
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3]); local now = tonumber(ARGV[4]); local debt = ARGV[5] == '1'
local v = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(v[1]) or cap; local at = tonumber(v[2]) or now
level = math.min(cap, level + math.max(0, now - at) * rate)
local allowed = 1; local wait = 0
if (not debt and level < cost) then allowed = 0; wait = (cost - level) / rate
elseif (debt and cost == 0 and level <= 0) then allowed = 0; wait = (1 - level) / rate
else level = level - cost end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 120000 + math.ceil(math.max(0, -level) / rate))
return {allowed, math.ceil(wait)}
"""


class RedisRateLimiter:
    """The same buckets in Redis (one Lua call per bucket), shared by every replica."""

    def __init__(self, redis: Any, clock: Clock, prefix: str = "rsg:rl:") -> None:
        self._redis = redis
        self.clock = clock
        self.prefix = prefix
        self._script = redis.register_script(_LUA)

    async def _take(self, key_id: str, kind: str, per_minute: int, cost: int,
                    debt: bool) -> tuple[bool, float]:
        now_ms = int(self.clock.now().timestamp() * 1000)
        allowed, wait_ms = await self._script(
            keys=[f"{self.prefix}{key_id}:{kind}"],
            args=[per_minute, per_minute / 60000.0, cost, now_ms, "1" if debt else "0"],
        )
        return bool(int(allowed)), int(wait_ms) / 1000.0

    async def check_request(self, principal: Principal) -> None:
        """Take one request; refuse while the token bucket is overdrawn."""
        scopes = principal.scopes
        if scopes.tokens_per_minute:
            ok, wait = await self._take(principal.key_id, "tpm", scopes.tokens_per_minute, 0, True)
            if not ok:
                raise _refused("tokens_per_minute", wait)
        if scopes.requests_per_minute:
            ok, wait = await self._take(principal.key_id, "rpm", scopes.requests_per_minute, 1,
                                        False)
            if not ok:
                raise _refused("requests_per_minute", wait)

    async def charge_tokens(self, principal: Principal, tokens: int) -> None:
        """Charge model tokens used by a finished request (may overdraw)."""
        if principal.scopes.tokens_per_minute and tokens > 0:
            await self._take(principal.key_id, "tpm", principal.scopes.tokens_per_minute,
                             tokens, True)
