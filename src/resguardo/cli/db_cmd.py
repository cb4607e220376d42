"""``resguardo db``: schema migrations."""

from __future__ import annotations

import asyncio
import json

import typer

from resguardo.cli.state import state_of
from resguardo.store.db import Database
from resguardo.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(ctx: typer.Context) -> None:
    """Apply every pending migration to the configured database."""
    state = state_of(ctx)

    async def _go() -> str | None:
        db = Database(state.settings.effective_database_url)
        try:
            await upgrade(db)
            return await current_revision(db)
        finally:
            await db.dispose()

    revision = asyncio.run(_go())
    if state.json_output:
        typer.echo(json.dumps({"revision": revision}))
    else:
        typer.echo(f"Database at revision {revision}.")


@app.command("status")
def status_cmd(ctx: typer.Context) -> None:
    """Show the database revision and the newest shipped migration."""
    state = state_of(ctx)

    async def _go() -> str | None:
        db = Database(state.settings.effective_database_url)
        try:
            return await current_revision(db)
        finally:
            await db.dispose()

    current, head = asyncio.run(_go()), head_revision()
    if state.json_output:
        typer.echo(json.dumps({"current": current, "head": head}))
    else:
        typer.echo(f"current: {current}\nhead:    {head}")
