"""Audit tables: the sealed event log, its subject index, the chain head and checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resguardo.store.base import Base

__all__ = ["AuditCheckpointRow", "AuditEventRow", "AuditHeadRow", "AuditSubjectRow"]


class AuditEventRow(Base):
    """One sealed event: ``canonical`` is what the chain hashes; the other columns index it."""

    __tablename__ = "audit_events"

    # Assigned by the chain writer under the head lock, never by the database.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128), index=True)
    workflow: Mapped[str | None] = mapped_column(String(64), index=True)
    # ",personal,financial," so a LIKE '%,personal,%' filter is exact.
    categories: Mapped[str] = mapped_column(Text, default="")
    # live / test; verification checks it against the sealed record like the other columns.
    environment: Mapped[str | None] = mapped_column(String(16), nullable=True)
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditSubjectRow(Base):
    """Keyed subject hash -> event, so a DPO finds a subject's events without the identifier."""

    __tablename__ = "audit_subjects"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (Index("ix_audit_subjects_hash", "subject_hash"),)


class AuditHeadRow(Base):
    """The single chain-head row: every append locks it, which serializes writers on any backend."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Retention anchor: the log starts at anchor_seq, whose predecessor hashed to anchor_prev.
    anchor_seq: Mapped[int] = mapped_column(BigInteger, default=1)
    anchor_prev: Mapped[bytes] = mapped_column(LargeBinary(32))
    anchor_signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class AuditCheckpointRow(Base):
    """A signed statement 'the log had ``seq`` events and its head hash was ``hash``'."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
