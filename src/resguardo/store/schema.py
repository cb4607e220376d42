"""Bring a database to the current schema."""

from __future__ import annotations

from resguardo.store.base import Base
from resguardo.store.db import Database
from resguardo.store.models import load_all

__all__ = ["create_schema"]


async def create_schema(db: Database) -> None:
    """Create every table (the Alembic migrations take over from this once they exist)."""
    load_all()
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
