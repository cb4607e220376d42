"""Shared fixtures: a fresh database on every backend, a frozen clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from resguardo.store.db import Database
from resguardo.testing import FrozenClock

PG_URL = os.environ.get(
    "RESGUARDO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    b for b in os.environ.get("RESGUARDO_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at 2026-01-15 09:00 UTC that moves only when told."""
    return FrozenClock()


async def _fresh_database(
    backend: str, tmp_path: Path, *, with_tables: bool = True
) -> AsyncIterator[Database]:
    from resguardo.store.schema import create_schema

    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        if with_tables:
            await create_schema(db)
        try:
            yield db
        finally:
            await db.dispose()
        return
    # One PostgreSQL schema per test keeps tests independent without a database per test.
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    await admin.dispose()
    db = Database(PG_URL, schema=schema)
    try:
        if with_tables:
            await create_schema(db)
        yield db
    finally:
        await db.dispose()
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database; every test using it runs on SQLite and on PostgreSQL."""
    async for db in _fresh_database(request.param, tmp_path):
        yield db


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty SQLite database (for tests that need only the embedded default)."""
    async for db in _fresh_database("sqlite", tmp_path):
        yield db


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no tables at all, on every backend (for migration tests)."""
    async for db in _fresh_database(request.param, tmp_path, with_tables=False):
        yield db
