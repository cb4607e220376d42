"""``resguardo scan``: files and directories, report and JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from resguardo.cli.scan_cmd import scan

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("scan")(scan)

    @app.callback()
    def root() -> None:
        """Root (ctx.obj stays None, as when a sub-app runs alone)."""

    return app


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "nota.txt").write_text("Hola Ana, mi DNI es 12345678Z.\nEmail ana@x.es", "utf-8")
    (tmp_path / "leads.csv").write_text("nombre,telefono\nXiomara Ybarra,612345678\n", "utf-8")
    (tmp_path / "crm.json").write_text(json.dumps({"email": "b@y.com", "iban":
                                                   "ES9121000418450200051332"}), "utf-8")
    (tmp_path / "calls.jsonl").write_text('{"t": "llama al 699 111 222"}\nnot json ana@x.es\n',
                                          "utf-8")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02PNG" * 100)
    return tmp_path


def test_json_lines_give_path_offsets_type_category_score(tmp_path: Path) -> None:
    """--json prints one object per finding; .txt offsets index the decoded text."""
    root = _tree(tmp_path)
    result = runner.invoke(_app(), ["scan", str(root), "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    text = (root / "nota.txt").read_text("utf-8")
    txt = [r for r in records if r["path"].endswith("nota.txt")]
    assert {text[r["start"] : r["end"]] for r in txt} >= {"Ana", "12345678Z", "ana@x.es"}
    assert all({"path", "start", "end", "type", "category", "score"} <= set(r) for r in records)
    assert all("value" not in r for r in records)
    types = {(Path(r["path"]).name, r["type"]) for r in records}
    assert {("leads.csv", "PERSON"), ("leads.csv", "PHONE"), ("crm.json", "IBAN"),
            ("calls.jsonl", "PHONE"), ("calls.jsonl", "EMAIL")} <= types
    assert {r["category"] for r in records if r["type"] == "IBAN"} == {"financial"}


def test_report_counts_by_type_and_skips_binaries(tmp_path: Path) -> None:
    """The table lists types with categories; binary files get a note; values stay hidden."""
    root = _tree(tmp_path)
    result = runner.invoke(_app(), ["scan", str(root)])
    assert result.exit_code == 0, result.output
    assert "ES_DNI" in result.output and "personal" in result.output
    assert "blob.bin" in result.output and "binary" in result.output
    assert "12345678Z" not in result.output
    shown = runner.invoke(_app(), ["scan", str(root / "nota.txt"), "--show-values"])
    assert "12345678Z" in shown.output


def test_bad_lang_is_rejected(tmp_path: Path) -> None:
    """--lang accepts only es, en or auto."""
    result = runner.invoke(_app(), ["scan", str(_tree(tmp_path)), "--lang", "fr"])
    assert result.exit_code != 0
