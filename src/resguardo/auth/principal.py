"""Who is calling: the result of authentication, consumed by every endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Principal", "Scopes"]


@dataclass(frozen=True)
class Scopes:
    """What a key may do; each tuple narrows the workflow's own allowance (None: as the workflow)."""

    endpoints: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    collections_read: tuple[str, ...] | None = None
    collections_write: tuple[str, ...] | None = None
    max_request_bytes: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


@dataclass(frozen=True)
class Principal:
    """An authenticated API key: one workflow, one environment, narrowed scopes."""

    key_id: str
    workflow_id: str
    environment: str  # "live" | "test"
    scopes: Scopes = field(default_factory=Scopes)
    source_ip: str | None = None
