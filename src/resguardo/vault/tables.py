"""Vault tables: subjects, their blind-indexed identifiers, and encrypted records.

Nothing here holds a plaintext personal value: identifiers are keyed HMACs and
record bodies are AES-GCM envelopes under the subject's own data key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resguardo.store.base import Base
from resguardo.vault.columns import UTCDateTime

__all__ = ["GatewaySessionRow", "VaultIdentifierRow", "VaultRecordRow", "VaultSubjectRow"]

RECORDS_TABLE = "vault_records"
SESSIONS_TABLE = "gateway_sessions"


class VaultSubjectRow(Base):
    """A data subject, known only by a random id; ``state`` is active or blocked (LOPDGDD 32)."""

    __tablename__ = "vault_subjects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    environment: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="active")
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    block_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    erasure_request_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class VaultIdentifierRow(Base):
    """One identifier of a subject, stored as the blind index of its normalized form."""

    __tablename__ = "vault_identifiers"
    __table_args__ = (
        UniqueConstraint("environment", "kind", "blind", name="uq_vault_identifiers_blind"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("vault_subjects.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    blind: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VaultRecordRow(Base):
    """An encrypted record; collection, category and times stay clear for retention sweeps."""

    __tablename__ = RECORDS_TABLE
    __table_args__ = (
        Index("ix_vault_records_sweep", "collection", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("vault_subjects.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(8))
    collection: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    workflow: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class GatewaySessionRow(Base):
    """A protect/restore session: its token map sealed, keyed by a hash of the session id."""

    __tablename__ = SESSIONS_TABLE

    # SHA-256 of the bearer-like session id: a database reader cannot replay a stored id.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(96))
    environment: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
