"""Access-control tables: API keys, admins, their sessions, recovery codes, login throttles.

Secrets never appear here in the clear: API-key secrets, session ids, CSRF tokens and
recovery codes are stored as keyed hashes; passwords as argon2id; TOTP seeds sealed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resguardo.store.base import Base

__all__ = [
    "AdminRow",
    "AdminSessionRow",
    "ApiKeyRow",
    "LoginThrottleRow",
    "RecoveryCodeRow",
]

_TS = DateTime(timezone=True)


class ApiKeyRow(Base):
    """One API key; ``key_id`` is public and stable across rotations."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    workflow_id: Mapped[str] = mapped_column(String(64), index=True)
    environment: Mapped[str] = mapped_column(String(8))
    scopes_json: Mapped[str] = mapped_column(Text, default="{}")
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The secret replaced by the last rotation stays valid until ``previous_valid_until``.
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_valid_until: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    secret_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(_TS)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)


class AdminRow(Base):
    """An administrator; ``credentials_epoch`` moves whenever password or 2FA changes."""

    __tablename__ = "admins"

    admin_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Highest TOTP time step accepted so far: a code works only once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credentials_epoch: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(_TS)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)


class RecoveryCodeRow(Base):
    """A one-time 2FA recovery code, stored as a keyed hash."""

    __tablename__ = "admin_recovery_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("admins.admin_id", ondelete="CASCADE"), index=True
    )
    used_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)


class AdminSessionRow(Base):
    """An admin session; the cookie holds the id, the table only its keyed hash."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("admins.admin_id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16))  # "pending" (password only) | "full"
    csrf_hash: Mapped[str] = mapped_column(String(64))
    credentials_epoch: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(_TS)
    last_seen_at: Mapped[datetime] = mapped_column(_TS)
    expires_at: Mapped[datetime] = mapped_column(_TS)
    ended_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    source_ip_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LoginThrottleRow(Base):
    """Failure counter for one account or source address (its keyed hash) and one factor."""

    __tablename__ = "auth_throttle"

    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(_TS)
    locked_until: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
