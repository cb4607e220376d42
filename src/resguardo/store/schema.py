"""Bring a database to the current schema."""

from __future__ import annotations

from resguardo.store.db import Database
from resguardo.store.migrate import upgrade

__all__ = ["create_schema"]


async def create_schema(db: Database) -> None:
    """Apply every migration: tests and the embedded default build the schema the same way."""
    await upgrade(db)
