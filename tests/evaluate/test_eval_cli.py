"""``resguardo eval`` on a synth corpus with a toy detector."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from resguardo.cli.eval_cmd import eval_corpus
from resguardo.synth import generate, write_jsonl

TOY = "eval_toy_detector:build"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(eval_corpus)
    return app


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "synth.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        write_jsonl(generate(28, seed=4), fh)
    return path


def test_eval_json_reports_per_type_scores(tmp_path: Path) -> None:
    """--json prints a report where the toy detector finds every email."""
    result = CliRunner().invoke(
        _app(), [str(_corpus(tmp_path)), "--corpus", "synth", "--json", "--detector", TOY]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {row["type"]: row for row in data["types"]}
    assert rows["EMAIL"]["overlap"]["recall"] == 1.0
    assert rows["PERSON"]["overlap"]["recall"] == 0.0
    assert 0 < data["masked_share"] < 1


def test_eval_table_output(tmp_path: Path) -> None:
    """Without --json a table with an ALL row and the masked share is printed."""
    result = CliRunner().invoke(
        _app(), [str(_corpus(tmp_path)), "--detector", TOY, "--misses", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "ALL" in result.output and "personal chars masked" in result.output
    assert "fn PERSON" in result.output


def test_eval_missing_path_exits_with_usage_error(tmp_path: Path) -> None:
    """A path that does not exist exits 2 with a message."""
    result = CliRunner().invoke(_app(), [str(tmp_path / "nope"), "--detector", TOY])
    assert result.exit_code == 2
