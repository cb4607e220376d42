"""``resguardo synth`` writes reproducible labelled JSONL."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from typer.testing import CliRunner

from resguardo.cli.synth_cmd import synth


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(synth)
    return app


def test_synth_writes_requested_documents(tmp_path: Path) -> None:
    """--n/--kind/--lang/-o produce that many documents of that kind and language."""
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        _app(), ["--n", "6", "--seed", "7", "--kind", "email", "--lang", "es", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [orjson.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6
    assert {(r["kind"], r["lang"]) for r in rows} == {("email", "es")}
    for row in rows:
        for lb in row["labels"]:
            assert row["text"][lb["start"] : lb["end"]] == lb["text"]


def test_synth_same_seed_same_file(tmp_path: Path) -> None:
    """Two runs with one seed write byte-identical files."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (a, b):
        result = CliRunner().invoke(_app(), ["--n", "5", "--seed", "3", "-o", str(path)])
        assert result.exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_synth_rejects_unknown_kind(tmp_path: Path) -> None:
    """An unknown kind is a usage error and creates no file."""
    out = tmp_path / "x.jsonl"
    result = CliRunner().invoke(_app(), ["--n", "2", "--kind", "tweet", "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists()
