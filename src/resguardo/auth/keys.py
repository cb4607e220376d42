"""API key lifecycle: create, list, show, rotate with a grace period, revoke.

Only a keyed hash of each secret is stored; the full key string exists once, in the
``IssuedKey`` returned by ``create`` or ``rotate``. Every change is written to the
access log and bumps the key's epoch so cached copies die on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from resguardo.auth.access_log import AccessLog
from resguardo.auth.epochs import EpochBoard
from resguardo.auth.hashing import KeyHasher
from resguardo.auth.keyformat import ENVIRONMENTS, format_key, new_key_id, new_secret
from resguardo.auth.principal import Scopes
from resguardo.auth.scopes import scopes_from_json, scopes_to_json, validate_scopes
from resguardo.auth.tables import ApiKeyRow
from resguardo.clock import Clock, as_utc
from resguardo.errors import Conflict, InputError, NotFound
from resguardo.policy.schema import Policy
from resguardo.store.db import Database

__all__ = ["KEY_HASH_PURPOSE", "IssuedKey", "KeyInfo", "KeyService"]

KEY_HASH_PURPOSE = "api-key-v1"
MAX_GRACE = timedelta(days=30)


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: everything but its secret."""

    key_id: str
    name: str
    workflow_id: str
    environment: str
    scopes: Scopes
    secret_version: int
    created_at: datetime
    created_by: str | None
    rotated_at: datetime | None
    previous_valid_until: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def status(self) -> str:
        """"revoked", or "active" (expiry is judged against a clock by the caller)."""
        return "revoked" if self.revoked_at else "active"

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """JSON-ready view for the API and the CLI."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        status = self.status
        if status == "active" and now and self.expires_at and self.expires_at <= now:
            status = "expired"
        return {
            "key_id": self.key_id,
            "name": self.name,
            "workflow": self.workflow_id,
            "environment": self.environment,
            "status": status,
            "scopes": {k: (list(v) if isinstance(v, tuple) else v)
                       for k, v in vars(self.scopes).items() if v is not None},
            "secret_version": self.secret_version,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
            "rotated_at": iso(self.rotated_at),
            "previous_valid_until": iso(self.previous_valid_until),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


@dataclass(frozen=True)
class IssuedKey:
    """A key just created or rotated: ``token`` is the only copy of the secret."""

    info: KeyInfo
    token: str

    def __repr__(self) -> str:
        return f"IssuedKey(key_id={self.info.key_id!r}, token=<hidden>)"


def key_info(row: ApiKeyRow) -> KeyInfo:
    """Row → KeyInfo (the hashes stay behind)."""
    return KeyInfo(
        key_id=row.key_id,
        name=row.name,
        workflow_id=row.workflow_id,
        environment=row.environment,
        scopes=scopes_from_json(row.scopes_json),
        secret_version=row.secret_version,
        created_at=as_utc(row.created_at) or row.created_at,
        created_by=row.created_by,
        rotated_at=as_utc(row.rotated_at),
        previous_valid_until=as_utc(row.previous_valid_until),
        expires_at=as_utc(row.expires_at),
        revoked_at=as_utc(row.revoked_at),
        last_used_at=as_utc(row.last_used_at),
    )


class KeyService:
    """Administers API keys; authentication itself is ``KeyAuthenticator``."""

    def __init__(self, db: Database, hasher: KeyHasher, clock: Clock, policy: Policy,
                 epochs: EpochBoard, access_log: AccessLog) -> None:
        self.db = db
        self.hasher = hasher
        self.clock = clock
        self.policy = policy
        self.epochs = epochs
        self.log = access_log

    def _hash(self, key_id: str, secret: str) -> str:
        # The key id is bound into the hash so one row's hash can't be pasted onto another.
        return self.hasher.digest(KEY_HASH_PURPOSE, key_id, secret)

    async def create(self, workflow_id: str, environment: str, *, name: str = "",
                     scopes: Scopes | None = None, expires_at: datetime | None = None,
                     actor: str | None = None, source_ip: str | None = None) -> IssuedKey:
        """Issue a key for one workflow and one environment; scopes only narrow the workflow."""
        scopes = scopes or Scopes()
        workflow = self.policy.workflow(workflow_id)
        if workflow is None:
            raise InputError("The workflow is not in the policy.", code="unknown_workflow")
        if environment not in ENVIRONMENTS or environment not in workflow.environments \
                or environment not in self.policy.environments:
            raise InputError("The workflow does not run in this environment.",
                             code="invalid_environment")
        validate_scopes(self.policy, workflow, scopes)
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise InputError("The expiry is in the past.", code="invalid_expiry")
        key_id, secret = new_key_id(), new_secret()
        row = ApiKeyRow(
            key_id=key_id, name=name[:120], workflow_id=workflow_id, environment=environment,
            scopes_json=scopes_to_json(scopes), secret_hash=self._hash(key_id, secret),
            secret_version=1, created_at=now, created_by=actor, expires_at=expires_at,
        )
        async with self.db.session() as session:
            session.add(row)
        await self.log.record("key.created", "success", actor=actor, workflow=workflow_id,
                              environment=environment, source_ip=source_ip, key_id=key_id)
        return IssuedKey(info=key_info(row), token=format_key(environment, key_id, secret))

    async def list_keys(self, *, workflow_id: str | None = None,
                   include_revoked: bool = True) -> list[KeyInfo]:
        """Every key (never a secret), newest first."""
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.key_id)
        if workflow_id is not None:
            stmt = stmt.where(ApiKeyRow.workflow_id == workflow_id)
        if not include_revoked:
            stmt = stmt.where(ApiKeyRow.revoked_at.is_(None))
        async with self.db.session() as session:
            rows = (await session.scalars(stmt)).all()
        return [key_info(r) for r in rows]

    async def show(self, key_id: str) -> KeyInfo:
        """One key's details; NotFound when unknown."""
        async with self.db.session() as session:
            row = await session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound("No such key.", code="key_not_found")
            return key_info(row)

    async def rotate(self, key_id: str, *, grace: timedelta = timedelta(hours=24),
                     actor: str | None = None, source_ip: str | None = None) -> IssuedKey:
        """New secret, same key id; the old secret keeps working until the grace period ends."""
        if grace < timedelta(0) or grace > MAX_GRACE:
            raise InputError("The grace period must be between 0 and 30 days.",
                             code="invalid_grace")
        now = self.clock.now()
        secret = new_secret()
        async with self.db.session() as session:
            row = await session.get(ApiKeyRow, key_id, with_for_update=True)
            if row is None:
                raise NotFound("No such key.", code="key_not_found")
            if row.revoked_at is not None:
                raise Conflict("A revoked key cannot be rotated.", code="key_revoked")
            # Only the immediately previous secret survives: a second rotation ends the first.
            row.previous_hash = row.secret_hash if grace > timedelta(0) else None
            row.previous_valid_until = now + grace if grace > timedelta(0) else None
            row.secret_hash = self._hash(key_id, secret)
            row.secret_version += 1
            row.rotated_at = now
            info = key_info(row)
        await self.epochs.bump(key_id)
        await self.log.record("key.rotated", "success", actor=actor, workflow=info.workflow_id,
                              environment=info.environment, source_ip=source_ip, key_id=key_id,
                              grace_seconds=int(grace.total_seconds()))
        return IssuedKey(info=info, token=format_key(info.environment, key_id, secret))

    async def revoke(self, key_id: str, *, actor: str | None = None,
                     source_ip: str | None = None) -> KeyInfo:
        """Kill the key (and any secret in grace) from the next request on; idempotent."""
        now = self.clock.now()
        async with self.db.session() as session:
            row = await session.get(ApiKeyRow, key_id, with_for_update=True)
            if row is None:
                raise NotFound("No such key.", code="key_not_found")
            if row.revoked_at is None:
                row.revoked_at = now
                row.previous_hash = None
                row.previous_valid_until = None
            info = key_info(row)
        # Bump after commit: a request racing the bump refetches and sees the committed row.
        await self.epochs.bump(key_id)
        await self.log.record("key.revoked", "success", actor=actor, workflow=info.workflow_id,
                              environment=info.environment, source_ip=source_ip, key_id=key_id)
        return info
