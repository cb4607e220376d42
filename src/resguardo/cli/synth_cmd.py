"""``resguardo synth``: write labelled synthetic documents as JSONL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from resguardo.errors import InputError
from resguardo.synth import KINDS, LANGS, SynthDoc, generate, write_jsonl

__all__ = ["synth"]


def synth(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="How many documents.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same documents.")] = 7,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", help=f"Document kind (repeatable): {', '.join(KINDS)}."),
    ] = None,
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", "-l", help="Language (repeatable): es, en."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL file; standard output if absent.")
    ] = None,
) -> None:
    """Generate synthetic es/en business documents with exact ground-truth labels."""
    del ctx  # settings are not needed: generation is pure and offline
    try:
        docs = generate(n, seed=seed, kinds=kind or None, langs=tuple(lang or LANGS))
        first = next(docs, None)  # validates kinds/langs before any file is created
    except InputError as exc:
        raise typer.BadParameter(exc.message) from exc
    err = Console(stderr=True)
    progress = Progress(
        TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=output is None and not err.is_terminal,
    )

    def stream() -> Iterator[SynthDoc]:
        if first is not None:
            yield first
            progress.advance(task)
        for doc in docs:
            yield doc
            progress.advance(task)

    with progress:
        task = progress.add_task("synth", total=n)
        if output is None:
            count = write_jsonl(stream(), sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as fh:
                count = write_jsonl(stream(), fh)
    if output is not None:
        err.print(f"Wrote {count} documents to {output}")
