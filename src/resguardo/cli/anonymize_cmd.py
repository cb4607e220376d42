"""``resguardo anonymize``: turn a real export into an irreversible, safe test copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resguardo.cli.state import state_of
from resguardo.errors import ResguardoError

__all__ = ["anonymize"]


def anonymize(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A .csv/.tsv/.json/.jsonl file or a directory.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file or directory.")],
    lang: Annotated[str, typer.Option("--lang", help="Language of the fakes: es or en.")] = "es",
    region: Annotated[str, typer.Option("--region", help="Default phone region.")] = "ES",
    per_run_shift: Annotated[
        bool, typer.Option("--per-run-shift", help="One date offset for the run, not per subject.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing output files.")] = False,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON.")
    ] = False,
) -> None:
    """Write a safe test copy: consistent fakes, shifted dates, valid IDs; nothing reversible."""
    from resguardo.anonymize import anonymize_path
    from resguardo.detect.analyzer import build_analyzer

    as_json = json_summary or state_of(ctx).json_output
    if lang not in ("es", "en"):
        raise typer.BadParameter("--lang must be es or en.")
    err = Console(stderr=True)
    progress = Progress(
        TextColumn("anonymize"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=as_json or not err.is_terminal,
    )
    task = progress.add_task("anonymize", total=None)
    try:
        with progress:
            summary = anonymize_path(
                source, output, build_analyzer(region=region.upper()), lang=lang,
                region=region.upper(), shift_per_subject=not per_run_shift, overwrite=force,
                on_total=lambda n: progress.update(task, total=n),
                on_record=lambda: progress.advance(task),
            )
    except ResguardoError as exc:
        # Messages name files and counts only, never a value from the data.
        err.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(code=2) from None
    if as_json:
        typer.echo(orjson.dumps(summary.to_dict()).decode())
        return
    table = Table(title="Replaced (counts only)")
    table.add_column("type")
    table.add_column("count", justify="right")
    for kind, count in sorted(summary.replaced.items()):
        table.add_row(kind, str(count))
    out = Console()
    out.print(table)
    out.print(
        f"{summary.files} file(s), {summary.records} record(s), "
        f"{summary.total_replaced} value(s) replaced, {summary.dates_shifted} date(s) shifted"
        + (f", {summary.skipped_files} unsupported file(s) skipped" if summary.skipped_files
           else "")
        + f" in {summary.seconds:.1f}s → {output}"
    )
