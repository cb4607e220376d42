"""Protect/restore sessions persisted in the database, sealed, with a TTL.

The gateway's ``SessionStore`` for restarts and several replicas: each token map is
encrypted under the ``gateway_sessions`` collection key with the row's id as associated
data, the session id is stored only as its SHA-256, and a session resolves only for the
scope (workflow and environment) that created it until it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from resguardo.clock import Clock
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keycache import Owner
from resguardo.errors import InvalidCiphertext
from resguardo.gateway.sessions import StoredSession
from resguardo.store.db import Database
from resguardo.vault.tables import SESSIONS_TABLE, GatewaySessionRow

__all__ = ["SESSIONS_OWNER", "EncryptedSessionStore", "session_key"]

SESSIONS_OWNER = Owner.collection(SESSIONS_TABLE)


def session_key(session_id: str) -> str:
    """The stored form of a session id: its SHA-256, hex.

    No secret key is needed: ids carry 192 random bits, so the hash cannot be reversed
    by guessing, and a leaked row does not give a caller an id that restores.
    """
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _environment(scope: str) -> str:
    # Scopes are "<workflow>:<environment>" (ProtectService._scope); kept clear for ops.
    return scope.rpartition(":")[2][:8]


class EncryptedSessionStore:
    """A ``SessionStore`` over the ``gateway_sessions`` table; see the module docstring."""

    def __init__(self, db: Database, encryptor: Encryptor, clock: Clock) -> None:
        self._db = db
        self._enc = encryptor
        self._clock = clock

    async def save(
        self, session_id: str, scope: str, data: dict[str, Any], ttl_seconds: int
    ) -> datetime:
        """Seal and store (or replace) a session for ``ttl_seconds``; returns its expiry."""
        key = session_key(session_id)
        expires = self._clock.now() + timedelta(seconds=ttl_seconds)
        # The scope is sealed too: a row whose clear scope column was edited still won't load.
        plaintext = orjson.dumps({"scope": scope, "data": data})
        blob = await self._enc.encrypt(SESSIONS_OWNER, plaintext, table=SESSIONS_TABLE,
                                       record_id=key)
        values = {"id": key, "scope": scope, "environment": _environment(scope),
                  "expires_at": expires, "ciphertext": blob}
        insert = sqlite.insert if self._db.is_sqlite else postgresql.insert
        stmt = insert(GatewaySessionRow).values(**values)
        # One statement, so concurrent saves from two replicas cannot both insert; and an
        # existing row is replaced only by its own scope.
        stmt = stmt.on_conflict_do_update(
            index_elements=[GatewaySessionRow.id],
            set_={"expires_at": expires, "ciphertext": blob},
            where=GatewaySessionRow.scope == scope,
        )
        async with self._db.session() as session:
            await session.execute(stmt)
        return expires

    async def load(self, session_id: str, scope: str) -> StoredSession | None:
        """The live session of this scope; missing, expired and foreign all look alike (None)."""
        key = session_key(session_id)
        async with self._db.session() as session:
            row = (await session.execute(
                select(GatewaySessionRow.scope, GatewaySessionRow.expires_at,
                       GatewaySessionRow.ciphertext).where(GatewaySessionRow.id == key)
            )).first()
        if row is None:
            return None
        stored_scope, expires_at, blob = row
        if expires_at <= self._clock.now():
            return None  # purge_expired deletes it; a read stays a read
        # Another workflow's session looks exactly like a missing one: existence is not leaked.
        if not secrets.compare_digest(stored_scope, scope):
            return None
        plain = await self._enc.decrypt(SESSIONS_OWNER, bytes(blob), table=SESSIONS_TABLE,
                                        record_id=key)
        sealed = orjson.loads(plain)
        if not isinstance(sealed, dict) or not secrets.compare_digest(
            str(sealed.get("scope", "")), scope
        ):
            raise InvalidCiphertext()  # the clear columns were edited: refuse, loudly
        data = sealed.get("data")
        if not isinstance(data, dict):
            raise InvalidCiphertext()
        return StoredSession(data, expires_at)

    async def purge_expired(self) -> int:
        """Delete every expired session (run periodically); returns how many went."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(GatewaySessionRow).where(GatewaySessionRow.expires_at <= self._clock.now())
            )
        return int(getattr(result, "rowcount", 0) or 0)
