"""Alembic environment: always given a live connection by resguardo.store.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy.types import TypeDecorator

from resguardo.store.base import Base
from resguardo.store.models import load_all


def _render_item(type_: str, obj: Any, _ctx: Any) -> str | Literal[False]:
    # Our TypeDecorators (UTC-normalising datetimes) store as their plain impl type:
    # render that, so migrations never import application modules.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


load_all()
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise SystemExit("Run migrations with `resguardo db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
