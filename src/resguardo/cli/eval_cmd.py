"""``resguardo eval``: score the detector on a labelled corpus."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track

from resguardo.cli.state import CliState
from resguardo.detect.types import Detector
from resguardo.errors import ConfigError, InputError
from resguardo.evaluate import CORPORA, evaluate, load_corpus, render_table

__all__ = ["eval_corpus", "load_detector"]

DEFAULT_DETECTOR = "resguardo.detect:build_analyzer"


def load_detector(spec: str) -> Detector:
    """Build a detector from ``module:factory`` (the factory takes no arguments)."""
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr or "build_analyzer")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            "The detector factory could not be loaded.", details={"spec": spec}
        ) from exc
    detector: Detector = factory()
    return detector


def eval_corpus(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Corpus directory or file.")],
    corpus: Annotated[
        str, typer.Option("--corpus", "-c", help=f"Corpus format: {', '.join(CORPORA)}.")
    ] = "synth",
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    misses: Annotated[
        int, typer.Option("--misses", min=0, help="Show up to N missed/extra examples per type.")
    ] = 0,
    detector: Annotated[
        str, typer.Option("--detector", help="Detector factory as module:callable.", hidden=True)
    ] = DEFAULT_DETECTOR,
) -> None:
    """Per-type precision, recall and F1 (exact and overlap) and the share of personal
    characters masked, on MEDDOCAN (BRAT), es_echr (BIO) or a synth JSONL corpus."""
    root = ctx.find_root().obj if ctx is not None else None
    as_json = json_output or (isinstance(root, CliState) and root.json_output)
    try:
        schema, docs = load_corpus(corpus, path)
        gold = list(docs)
        engine = load_detector(detector)
    except (InputError, ConfigError) as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    console = Console(stderr=True)
    report = evaluate(
        engine,
        track(gold, description="evaluating", console=console, transient=True,
              disable=as_json or not console.is_terminal),
        schema,
        max_misses_per_type=misses,
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    out = Console()
    out.print(render_table(report))
    if report.unmapped_gold:
        out.print("unscored gold labels: " + ", ".join(
            f"{k} {v}" for k, v in report.unmapped_gold.items()))
    if report.unscored_predictions:
        out.print("unscored findings: " + ", ".join(
            f"{k} {v}" for k, v in report.unscored_predictions.items()))
    for miss in report.misses:
        out.print(f"{miss.kind} {miss.type:<14} {miss.doc_id}: {miss.snippet}", markup=False,
                  highlight=False)


# The root CLI mounts the callable named after the command; it shadows the builtin only here.
eval = eval_corpus
