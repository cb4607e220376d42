"""Rights-request and legal-hold tables: workflow state only, never a personal value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resguardo.store.base import Base
from resguardo.vault.columns import UTCDateTime

__all__ = ["LegalHoldRow", "RightsRequestRow"]


class RightsRequestRow(Base):
    """A GDPR Art. 15/16/17/20 request and its deadline, verification and outcome."""

    __tablename__ = "rights_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    environment: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    # No foreign key: the subject row is deleted by erasure, the request is the evidence.
    subject_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    identifier_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verification_method: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    block_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LegalHoldRow(Base):
    """A hold on one subject or a whole collection: erasure and retention skip it."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_active", "environment", "released_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    environment: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    collection: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
