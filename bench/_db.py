"""Shared by bench scripts: a throw-away database on SQLite (a temp file) or PostgreSQL.

On PostgreSQL each run gets its own schema, dropped afterwards, so benchmarks never touch
another run's (or a test's) tables.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from resguardo.store.db import Database
from resguardo.store.schema import create_schema


async def open_database(
    backend: str, tmp: Path, pg_url: str, *, prefix: str = "bench"
) -> tuple[Database, str | None]:
    """A fresh database with every table, and its PostgreSQL schema (None on SQLite)."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp / f'{prefix}-{uuid.uuid4().hex[:6]}.db'}")
        await create_schema(db)
        return db, None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(pg_url)
    async with admin.engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    await admin.dispose()
    db = Database(pg_url, schema=schema)
    await create_schema(db)
    return db, schema


async def close_database(db: Database, schema: str | None, pg_url: str) -> None:
    """Dispose of ``db`` and drop its PostgreSQL schema, if it has one."""
    await db.dispose()
    if schema:
        admin = Database(pg_url)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()
