"""Alembic environment: always given a live connection by resguardo.store.migrate."""

from __future__ import annotations

from alembic import context

from resguardo.store.base import Base
from resguardo.store.models import load_all

load_all()
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise SystemExit("Run migrations with `resguardo db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
