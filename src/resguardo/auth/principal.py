"""Who is calling: the result of authentication, consumed by every endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["AdminPrincipal", "Authenticator", "Principal", "Scopes"]


@dataclass(frozen=True)
class Scopes:
    """What a key may do; each tuple narrows the workflow's allowance (None: as the workflow)."""

    endpoints: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    collections_read: tuple[str, ...] | None = None
    collections_write: tuple[str, ...] | None = None
    max_request_bytes: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    # CIDR blocks the key may be used from (None: anywhere).
    networks: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Principal:
    """An authenticated API key: one workflow, one environment, narrowed scopes."""

    key_id: str
    workflow_id: str
    environment: str  # "live" | "test"
    scopes: Scopes = field(default_factory=Scopes)
    source_ip: str | None = None


class Authenticator(Protocol):
    """Bearer credential → Principal; raises Unauthenticated (401) or Forbidden (403)."""

    async def authenticate(self, bearer: str | None, source_ip: str | None) -> Principal: ...


@dataclass(frozen=True)
class AdminPrincipal:
    """A signed-in admin with a full (password + 2FA) session."""

    admin_id: str
    username: str
    role: str  # "owner" | "admin" | "auditor" | "dpo"
    session_ref: str  # hash prefix of the session id: safe to log, useless to replay
    source_ip: str | None = None
