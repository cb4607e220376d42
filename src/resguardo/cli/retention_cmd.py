"""``resguardo retention``: delete or shred what the policy says has expired."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from resguardo.cli.state import state_of
from resguardo.cli.vault_cmd import emit, run_async
from resguardo.retention.loop import RetentionRun, run_retention
from resguardo.vault.wiring import VaultStack

__all__ = ["app"]

app = typer.Typer(help="Retention: sweep expired vault records.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Retention: sweep expired vault records."""  # keeps `run` a sub-command


@app.command("run")
def run(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; delete nothing.")]
    = False,
) -> None:
    """Sweep every collection's expired records (legal holds and blocked subjects skipped)."""
    quiet = state_of(ctx).json_output
    console = Console(stderr=True)
    bar = Progress(TextColumn("[bold]retention[/bold]"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=console, disable=quiet or dry_run)

    async def work(stack: VaultStack) -> RetentionRun:
        task = bar.add_task("sweep", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with bar:
            return await run_retention(stack, dry_run=dry_run, progress=progress)

    result = run_async(ctx, work)
    if quiet:
        emit(ctx, result.to_dict())
        return
    _print(Console(), result)


def _print(console: Console, result: RetentionRun) -> None:
    data: dict[str, Any] = result.to_dict()
    table = Table(title="Retention dry run" if result.sweep.dry_run else "Retention sweep")
    for column in ("collection", "workflow", "days", "action", "expired", "held", "deleted"):
        table.add_column(column, justify="right" if column in {"days", "expired", "held",
                                                               "deleted"} else "left")
    for rule in data["rules"]:
        table.add_row(rule["collection"], rule["workflow"] or "-", str(rule["days"]),
                      rule["action"], str(rule["expired"]), str(rule["held"]),
                      str(rule["deleted"]))
    console.print(table)
    if result.sweep.dry_run:
        console.print(f"{result.sweep.expired} records would be deleted.")
        return
    console.print(f"{result.sweep.deleted} records deleted, "
                  f"{result.sweep.subjects_shredded} subject keys shredded.")
    if result.erasures is not None:
        console.print(f"{result.erasures.erased_subjects} erasures completed, "
                      f"{result.erasures.held} held.")
