"""Protect/restore sessions: a token map kept for a TTL, resolvable only by its own workflow."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from resguardo.clock import Clock

__all__ = ["MemorySessionStore", "SessionStore", "StoredSession", "new_session_id"]


def new_session_id() -> str:
    """An unguessable session id (192 bits)."""
    return "ses_" + secrets.token_urlsafe(24)


@dataclass(frozen=True)
class StoredSession:
    """A saved token map and when it stops resolving."""

    data: dict[str, Any]
    expires_at: datetime


class SessionStore(Protocol):
    """Where protect sessions live: encrypted in the store when served (vault.sessions)."""

    async def save(
        self, session_id: str, scope: str, data: dict[str, Any], ttl_seconds: int
    ) -> datetime:
        """Store (or replace) a session; returns its expiry."""
        ...

    async def load(self, session_id: str, scope: str) -> StoredSession | None:
        """The session if it exists, is unexpired and belongs to ``scope``; else None."""
        ...


class MemorySessionStore:
    """In-process sessions with a TTL and a size bound (oldest evicted first)."""

    def __init__(self, clock: Clock, *, max_sessions: int = 100_000) -> None:
        self._clock = clock
        self._max = max_sessions
        self._items: OrderedDict[str, tuple[str, StoredSession]] = OrderedDict()

    async def save(
        self, session_id: str, scope: str, data: dict[str, Any], ttl_seconds: int
    ) -> datetime:
        """Store a session for ``ttl_seconds`` from now."""
        expires = self._clock.now() + timedelta(seconds=ttl_seconds)
        self._items[session_id] = (scope, StoredSession(data, expires))
        self._items.move_to_end(session_id)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        return expires

    async def load(self, session_id: str, scope: str) -> StoredSession | None:
        """The live session of this scope; an expired one is dropped on sight."""
        entry = self._items.get(session_id)
        if entry is None:
            return None
        owner, session = entry
        if session.expires_at <= self._clock.now():
            del self._items[session_id]
            return None
        # Another workflow's session looks exactly like a missing one: existence is not leaked.
        if not secrets.compare_digest(owner, scope):
            return None
        return session
