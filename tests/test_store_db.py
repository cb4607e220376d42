"""The store opens both backends."""

from __future__ import annotations

from sqlalchemy import text

from resguardo.store.db import Database


async def test_database_fixture_answers_a_query(database: Database) -> None:
    """Every backend the suite runs on answers a trivial query."""
    async with database.session() as session:
        assert (await session.execute(text("select 1"))).scalar_one() == 1


async def test_sqlite_runs_in_wal_mode(sqlite_database: Database) -> None:
    """The embedded default uses WAL so readers never block the writer."""
    async with sqlite_database.session() as session:
        mode = (await session.execute(text("pragma journal_mode"))).scalar_one()
    assert mode == "wal"
