"""Per-key rate limits: requests and tokens per minute, in memory and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from resguardo.auth.principal import Principal, Scopes
from resguardo.auth.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from resguardo.errors import RateLimited
from resguardo.testing import FrozenClock


def _principal(rpm: int | None = None, tpm: int | None = None, key: str = "k1") -> Principal:
    return Principal(key_id=key, workflow_id="leads", environment="live",
                     scopes=Scopes(requests_per_minute=rpm, tokens_per_minute=tpm))


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest,
                  clock: FrozenClock) -> AsyncIterator[RateLimiter]:
    """Both limiter kinds over the same frozen clock."""
    if request.param == "memory":
        yield MemoryRateLimiter(clock)
        return
    import uuid

    import redis.asyncio as aioredis

    client: Any = aioredis.from_url("redis://127.0.0.1:6379/0")
    try:
        await client.ping()
    except Exception:  # no Redis here: skip the Redis half
        pytest.skip("Redis is not reachable")
    yield RedisRateLimiter(client, clock, prefix=f"rsg:test:{uuid.uuid4().hex}:")
    await client.aclose()


async def test_requests_per_minute_refuse_then_refill(limiter: RateLimiter,
                                                      clock: FrozenClock) -> None:
    """The (rpm+1)th request in a minute is 429 with retry_after; time refills the bucket."""
    p = _principal(rpm=3)
    for _ in range(3):
        await limiter.check_request(p)
    with pytest.raises(RateLimited) as err:
        await limiter.check_request(p)
    assert err.value.details["limit"] == "requests_per_minute"
    assert err.value.details["retry_after"] >= 1
    clock.advance(20)
    await limiter.check_request(p)


async def test_token_debt_blocks_until_refilled(limiter: RateLimiter, clock: FrozenClock) -> None:
    """A big reply overdraws the token bucket; requests wait until it is positive again."""
    p = _principal(tpm=600)
    await limiter.check_request(p)
    await limiter.charge_tokens(p, 900)  # 300 in debt
    with pytest.raises(RateLimited) as err:
        await limiter.check_request(p)
    assert err.value.details["limit"] == "tokens_per_minute"
    clock.advance(31)  # 10 tokens/s: 310 back
    await limiter.check_request(p)


async def test_keys_have_separate_buckets_and_no_limit_means_none(limiter: RateLimiter) -> None:
    """One key's exhaustion doesn't touch another; unlimited keys are never refused."""
    await limiter.check_request(_principal(rpm=1, key="a"))
    await limiter.check_request(_principal(rpm=1, key="b"))
    for _ in range(50):
        await limiter.check_request(_principal(key="c"))
