"""``resguardo kek``: list, rotate, re-wrap and retire key-encryption key versions."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from resguardo.cli.output import exit_on_error
from resguardo.cli.state import CliState, state_of
from resguardo.clock import SystemClock
from resguardo.crypto.datakeys import DataKeys
from resguardo.crypto.datakeys import Progress as ProgressCallback
from resguardo.crypto.factory import key_provider_from_settings
from resguardo.errors import ConfigError
from resguardo.store.db import Database

__all__ = ["app"]

app = typer.Typer(
    help="Key-encryption keys (KEK): list versions, rotate, re-wrap data keys, retire.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]
T = TypeVar("T")


def _run(state: CliState, work: Callable[[DataKeys], Awaitable[T]]) -> T:
    """Open provider and database, run ``work``, close; domain errors become exit code 1."""

    async def _go() -> T:
        settings = state.settings
        clock = SystemClock()
        # The CLI is the process boundary: it may hand the environment to the factory.
        provider = key_provider_from_settings(settings, os.environ, clock=clock)
        db = Database(settings.effective_database_url)
        try:
            return await work(DataKeys(db, provider, clock))
        except SQLAlchemyError:
            raise ConfigError(
                "The database is unreachable or not migrated; run `resguardo db upgrade`."
            ) from None
        finally:
            await db.dispose()

    with exit_on_error(show_code=False):
        return asyncio.run(_go())


def _with_progress(quiet: bool, work: Callable[[ProgressCallback], Awaitable[T]]) -> Awaitable[T]:
    """Run ``work`` with a Rich progress bar on stderr (none in JSON mode)."""
    if quiet:
        return work(lambda _done, _total: None)

    async def _go() -> T:
        console = Console(stderr=True)
        columns = (TextColumn("re-wrapping data keys"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("rewrap", total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return await work(update)

    return _go()


@app.command("list")
def list_cmd(ctx: typer.Context, json_flag: JsonFlag = False) -> None:
    """Show KEK versions, their states and how many data keys each wraps (never key material)."""
    state = state_of(ctx)

    async def work(keys: DataKeys) -> list[dict[str, Any]]:
        versions = await keys.provider.versions()
        try:
            usage: dict[int, int] | None = await keys.kek_usage()
        except SQLAlchemyError:
            usage = None  # listing versions still helps when the store is down
        return [
            {
                "version": v.version,
                "state": v.state.value,
                "created_at": v.created_at.isoformat() if v.created_at else None,
                "data_keys": None if usage is None else usage.get(v.version, 0),
            }
            for v in versions
        ]

    rows = _run(state, work)
    if json_flag or state.json_output:
        typer.echo(json.dumps({"versions": rows}))
        return
    table = Table("version", "state", "created", "data keys")
    for row in rows:
        count = "?" if row["data_keys"] is None else str(row["data_keys"])
        table.add_row(str(row["version"]), row["state"], row["created_at"] or "-", count)
    Console().print(table)


@app.command("rotate")
def rotate_cmd(ctx: typer.Context, json_flag: JsonFlag = False) -> None:
    """Create a new KEK version, make it current and re-wrap every data key under it."""
    state = state_of(ctx)
    quiet = json_flag or state.json_output

    async def work(keys: DataKeys) -> dict[str, Any]:
        previous = keys.provider.current_version
        created = await keys.provider.rotate()
        report = await _with_progress(quiet, lambda cb: keys.rewrap_all(progress=cb))
        return {
            "previous": previous,
            "current": created.version,
            "total": report.total,
            "rewrapped": report.rewrapped,
        }

    summary = _run(state, work)
    if quiet:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"KEK rotated: v{summary['previous']} -> v{summary['current']}; "
            f"re-wrapped {summary['rewrapped']} data keys. "
            f"Retire old versions with `resguardo kek retire VERSION`."
        )


@app.command("rewrap")
def rewrap_cmd(ctx: typer.Context, json_flag: JsonFlag = False) -> None:
    """Re-wrap data keys still under older KEK versions (resume an interrupted rotation)."""
    state = state_of(ctx)
    quiet = json_flag or state.json_output

    async def work(keys: DataKeys) -> dict[str, Any]:
        report = await _with_progress(quiet, lambda cb: keys.rewrap_all(progress=cb))
        return {"current": report.kek_version, "total": report.total, "rewrapped": report.rewrapped}

    summary = _run(state, work)
    if quiet:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(f"Re-wrapped {summary['rewrapped']} data keys under v{summary['current']}.")


@app.command("retire")
def retire_cmd(
    ctx: typer.Context,
    version: Annotated[int, typer.Argument(help="The KEK version to retire.", min=1)],
    json_flag: JsonFlag = False,
) -> None:
    """Destroy an old KEK version; refused while any data key is still wrapped under it."""
    state = state_of(ctx)

    async def work(keys: DataKeys) -> dict[str, Any]:
        retired = await keys.retire_kek(version)
        return {"version": retired.version, "state": retired.state.value}

    result = _run(state, work)
    if json_flag or state.json_output:
        typer.echo(json.dumps(result))
    else:
        typer.echo(f"KEK v{result['version']} retired; its key material is destroyed.")
