"""Governance tables: the breach register and the human-review queue.

Incident rows hold names, counts, hashes' counts and the DPO's own notes; review rows hold
the held model output only as ciphertext (it is personal data), under a per-ticket data
key that is crypto-shredded when the ticket's time is up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resguardo.store.base import Base
from resguardo.vault.columns import UTCDateTime

__all__ = ["IncidentRow", "ReviewTicketRow"]


class IncidentRow(Base):
    """One personal-data breach (Art. 33/34) and everything done about it."""

    __tablename__ = "governance_incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    nature: Mapped[str] = mapped_column(String(64))  # confidentiality,integrity,availability
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | contained | closed
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(64))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    impact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    measures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    tasks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    risk: Mapped[str] = mapped_column(String(16), default="unassessed")
    authority_status: Mapped[str] = mapped_column(String(16), default="pending")
    authority_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    authority_reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    subjects_status: Mapped[str] = mapped_column(String(16), default="pending")
    subjects_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    alerts_sent: Mapped[list[int]] = mapped_column(JSON)  # elapsed-hour marks already raised
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReviewTicketRow(Base):
    """A model output held for human review (Art. 22(3)) and its outcome."""

    __tablename__ = "governance_reviews"
    __table_args__ = (Index("ix_governance_reviews_queue", "status", "held_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(64), index=True)
    environment: Mapped[str] = mapped_column(String(8))
    key_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending|approved|changed|rejected|expired
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Encrypted JSON {"output": ..., "callback_url": ...}; dropped once decided or expired.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Encrypted JSON {"output": ..., "reason": ..., "callback_url": ...}; dropped at purge.
    outcome: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    has_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewer_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    review_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    callback_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
