"""Admin sessions: opaque random ids, stored hashed, with CSRF tokens and two timeouts.

A session starts at stage ``pending`` (only the 2FA step is reachable) and is replaced
by a fresh ``full`` session once the second factor passes, so an id seen before login
is worthless after it. A session dies on logout, idle or absolute timeout, when the
admin is disabled, and when the admin's credentials epoch moves (password or 2FA change).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from resguardo.auth.hashing import KeyHasher
from resguardo.auth.tables import AdminRow, AdminSessionRow
from resguardo.clock import Clock, as_utc
from resguardo.errors import Unauthenticated
from resguardo.store.db import Database

__all__ = [
    "STAGE_FULL",
    "STAGE_PENDING",
    "IssuedSession",
    "SessionService",
    "SessionState",
    "SessionTimeouts",
]

STAGE_PENDING = "pending"
STAGE_FULL = "full"


@dataclass(frozen=True)
class SessionTimeouts:
    """Idle and absolute lifetimes; the password-only stage gets a short one."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    pending: timedelta = timedelta(minutes=5)
    touch_every: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class IssuedSession:
    """What goes in the cookie and the CSRF header; nothing here is stored in the clear."""

    session_id: str
    csrf_token: str
    stage: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"IssuedSession(stage={self.stage!r}, ids=<hidden>)"


@dataclass(frozen=True)
class SessionState:
    """A live session resolved from its cookie."""

    id_hash: str
    admin_id: str
    username: str
    role: str
    stage: str
    csrf_hash: str
    totp_enabled: bool

    @property
    def ref(self) -> str:
        """A short, non-replayable reference for logs."""
        return self.id_hash[:12]


class SessionService:
    """Creates, resolves and ends admin sessions."""

    def __init__(self, db: Database, hasher: KeyHasher, clock: Clock,
                 timeouts: SessionTimeouts | None = None) -> None:
        self.db = db
        self.hasher = hasher
        self.clock = clock
        self.timeouts = timeouts or SessionTimeouts()

    def hash_id(self, session_id: str) -> str:
        """The stored form of a session id."""
        return self.hasher.digest("admin-session", session_id)

    def csrf_ok(self, state: SessionState, token: str | None) -> bool:
        """Synchronizer-token check in constant time."""
        return bool(token) and self.hasher.matches(state.csrf_hash, "csrf", token or "")

    async def start(self, admin: AdminRow, stage: str, source_ip: str | None) -> IssuedSession:
        """A new session for an admin whose password (and maybe 2FA) just passed."""
        now = self.clock.now()
        session_id = secrets.token_urlsafe(32)  # 256 bits
        csrf = secrets.token_urlsafe(32)
        lifetime = self.timeouts.absolute if stage == STAGE_FULL else self.timeouts.pending
        row = AdminSessionRow(
            id_hash=self.hash_id(session_id), admin_id=admin.admin_id, stage=stage,
            csrf_hash=self.hasher.digest("csrf", csrf),
            credentials_epoch=admin.credentials_epoch, created_at=now, last_seen_at=now,
            expires_at=now + lifetime,
            source_ip_hash=self.hasher.digest("session-ip", source_ip) if source_ip else None,
        )
        async with self.db.session() as session:
            session.add(row)
        return IssuedSession(session_id=session_id, csrf_token=csrf, stage=stage,
                             expires_at=row.expires_at)

    async def resolve(self, session_id: str | None) -> SessionState:
        """The live session behind a cookie; Unauthenticated(session_invalid) otherwise."""
        invalid = Unauthenticated("Sign in again.", code="session_invalid")
        if not session_id or len(session_id) > 100:
            raise invalid
        now = self.clock.now()
        id_hash = self.hash_id(session_id)
        async with self.db.session() as session:
            row = await session.get(AdminSessionRow, id_hash)
            if row is None or row.ended_at is not None:
                raise invalid
            admin = await session.get(AdminRow, row.admin_id)
            expires = as_utc(row.expires_at)
            last_seen = as_utc(row.last_seen_at) or now
            dead = (
                admin is None
                or admin.disabled_at is not None
                or admin.credentials_epoch != row.credentials_epoch
                or expires is None or now >= expires
                or now - last_seen >= self.timeouts.idle
            )
            if dead or admin is None:
                # Every check is a pure function of stored state: it stays dead on reuse.
                raise invalid
            # Touch at most every few seconds: the idle clock needs no write per request.
            if now - last_seen >= self.timeouts.touch_every:
                row.last_seen_at = now
            return SessionState(id_hash=id_hash, admin_id=admin.admin_id,
                                username=admin.username, role=admin.role, stage=row.stage,
                                csrf_hash=row.csrf_hash, totp_enabled=admin.totp_enabled)

    async def end(self, id_hash: str) -> None:
        """End one session (logout, or the pending one replaced at 2FA)."""
        async with self.db.session() as session:
            await session.execute(
                update(AdminSessionRow)
                .where(AdminSessionRow.id_hash == id_hash, AdminSessionRow.ended_at.is_(None))
                .values(ended_at=self.clock.now())
            )

    async def end_all(self, admin_id: str) -> int:
        """End every session of an admin at once; returns how many were live."""
        async with self.db.session() as session:
            result = await session.execute(
                update(AdminSessionRow)
                .where(AdminSessionRow.admin_id == admin_id, AdminSessionRow.ended_at.is_(None))
                .values(ended_at=self.clock.now())
            )
            return int(getattr(result, "rowcount", 0) or 0)
