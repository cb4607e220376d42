"""Revocation epochs: how a cached key learns, on the very next request, that it changed.

Revoke and rotate bump the key's epoch; the authenticator compares the epoch it cached
with the current one before trusting its cache. Three boards, by deployment shape:

* ``LocalEpochs``  one process (tests, benchmarks, the embedded server with no CLI).
* ``FileEpochs``   processes on one host sharing the data directory (server + CLI on SQLite):
                   one ``stat`` per check, no read.
* ``RedisEpochs``  any number of replicas: one GET per check on a per-key counter.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

__all__ = ["EpochBoard", "FileEpochs", "LocalEpochs", "RedisEpochs"]


class EpochBoard(Protocol):
    """A counter per key id that moves whenever the key's secret or status changes."""

    async def current(self, key_id: str) -> int | tuple[int, ...]: ...

    async def bump(self, key_id: str) -> None: ...


class LocalEpochs:
    """In-process epochs."""

    def __init__(self) -> None:
        self._epochs: dict[str, int] = {}

    async def current(self, key_id: str) -> int:
        """The key's epoch (0 until first bumped)."""
        return self._epochs.get(key_id, 0)

    async def bump(self, key_id: str) -> None:
        """Invalidate every cached copy of the key in this process."""
        self._epochs[key_id] = self._epochs.get(key_id, 0) + 1


class FileEpochs:
    """One file whose identity changes on every bump; a change invalidates every cached key.

    Revocations are rare, so invalidating the whole cache on one is cheap; checking costs
    a single ``stat`` (microseconds) rather than a database read.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = LocalEpochs()

    async def current(self, key_id: str) -> tuple[int, ...]:
        """(local epoch, file inode, mtime, size): any change means "refetch"."""
        local = await self._local.current(key_id)
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return (local, 0, 0, 0)
        return (local, st.st_ino, st.st_mtime_ns, st.st_size)

    async def bump(self, key_id: str) -> None:
        """Replace the file atomically so other processes see a new inode."""
        await self._local.bump(key_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            counter = int(self.path.read_text() or "0")
        except (FileNotFoundError, ValueError):
            counter = 0
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(str(counter + 1))
        os.replace(tmp, self.path)


class RedisEpochs:
    """Per-key counters in Redis, shared by every replica."""

    def __init__(self, redis: Any, prefix: str = "rsg:auth:epoch:") -> None:
        # ``redis`` is a redis.asyncio.Redis; typed loosely so Redis stays optional.
        self._redis = redis
        self._prefix = prefix

    async def current(self, key_id: str) -> int:
        """The shared epoch (0 until first bumped)."""
        raw = await self._redis.get(self._prefix + key_id)
        return int(raw) if raw is not None else 0

    async def bump(self, key_id: str) -> None:
        """INCR is atomic: two concurrent revokes both move the epoch."""
        await self._redis.incr(self._prefix + key_id)
