"""The ``data_keys`` table: every data key, wrapped by a KEK version, or its shredding tombstone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from resguardo.store.base import Base

__all__ = ["DataKeyRow"]


class DataKeyRow(Base):
    """One version of one owner's data key.

    After shredding, ``wrapped_key`` and ``kek_version`` are NULL and ``shredded_at`` is set:
    the row stays as a tombstone so old ciphertexts report ``KeyUnavailable`` and the
    owner's key versions are never reused. ``owner_id`` should be pseudonymous (a blind
    index), because the tombstone outlives the erasure.
    """

    __tablename__ = "data_keys"

    owner_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    kek_version: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    shredded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
