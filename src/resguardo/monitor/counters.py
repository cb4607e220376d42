"""Counters and sets behind anomaly baselines: in memory (one process) or Redis (shared)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from resguardo.clock import Clock

__all__ = ["CounterStore", "MemoryCounters", "RedisCounters"]


class CounterStore(Protocol):
    """Expiring integer counters, member sets and one-shot flags."""

    async def incr(self, key: str, amount: int, ttl_seconds: int) -> int:
        """Add ``amount``, return the new value; expires ``ttl_seconds`` after creation."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[int]:
        """Current values (0 when missing or expired)."""
        ...

    async def add_member(self, key: str, member: str) -> tuple[bool, int]:
        """Add to a set; return (member was new, set size after)."""
        ...

    async def set_once(self, key: str, ttl_seconds: int) -> bool:
        """True only for the first caller until the flag expires (alert cooldowns)."""
        ...


class MemoryCounters:
    """Single-process store on the injected clock, so tests move time without sleeping."""

    def __init__(self, clock: Clock, max_members: int = 1000) -> None:
        self.clock = clock
        self.max_members = max_members
        self._values: dict[str, tuple[int, float]] = {}
        self._sets: dict[str, set[str]] = {}

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _live(self, key: str) -> int:
        item = self._values.get(key)
        if item is None:
            return 0
        if item[1] <= self._now():
            del self._values[key]
            return 0
        return item[0]

    async def incr(self, key: str, amount: int, ttl_seconds: int) -> int:
        """Add ``amount``; the expiry is set when the key is created."""
        current = self._live(key)
        expires = self._values[key][1] if key in self._values else self._now() + ttl_seconds
        self._values[key] = (current + amount, expires)
        return current + amount

    async def get_many(self, keys: Sequence[str]) -> list[int]:
        """Current values (0 when missing or expired)."""
        return [self._live(k) for k in keys]

    async def add_member(self, key: str, member: str) -> tuple[bool, int]:
        """Add to a set, capped so a flood of new values cannot grow memory without bound."""
        members = self._sets.setdefault(key, set())
        if member in members:
            return False, len(members)
        if len(members) < self.max_members:
            members.add(member)
        return True, len(members)

    async def set_once(self, key: str, ttl_seconds: int) -> bool:
        """True only for the first caller until the flag expires."""
        if self._live(key):
            return False
        self._values[key] = (1, self._now() + ttl_seconds)
        return True


class RedisCounters:
    """Shared store for several gateway replicas (``redis.asyncio`` client injected)."""

    def __init__(self, client: Any, prefix: str = "resguardo:anomaly:") -> None:
        self.client = client
        self.prefix = prefix

    async def incr(self, key: str, amount: int, ttl_seconds: int) -> int:
        """INCRBY, and set the expiry only when the key is new (EXPIRE NX)."""
        k = self.prefix + key
        pipe = self.client.pipeline(transaction=True)
        pipe.incrby(k, amount)
        pipe.expire(k, ttl_seconds, nx=True)
        value, _ = await pipe.execute()
        return int(value)

    async def get_many(self, keys: Sequence[str]) -> list[int]:
        """MGET, missing keys as 0."""
        if not keys:
            return []
        values = await self.client.mget([self.prefix + k for k in keys])
        return [int(v) if v is not None else 0 for v in values]

    async def add_member(self, key: str, member: str) -> tuple[bool, int]:
        """SADD then SCARD in one round trip."""
        k = self.prefix + key
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(k, member)
        pipe.scard(k)
        added, size = await pipe.execute()
        return bool(added), int(size)

    async def set_once(self, key: str, ttl_seconds: int) -> bool:
        """SET NX EX."""
        return bool(await self.client.set(self.prefix + key, b"1", nx=True, ex=ttl_seconds))
