"""Migrations: they build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from resguardo.store.base import Base
from resguardo.store.db import Database
from resguardo.store.migrate import current_revision, head_revision, upgrade
from resguardo.store.models import load_all


async def test_migrated_schema_matches_the_models(empty_database: Database) -> None:
    """After `upgrade head` Alembic finds no difference between the database and the models."""
    database = empty_database
    load_all()
    await upgrade(database)

    def _diff(sync_conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return list(compare_metadata(ctx, Base.metadata))

    async with database.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
    assert await current_revision(database) == head_revision()
