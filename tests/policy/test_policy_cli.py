"""`resguardo policy check|show|explain`: exit codes, readable output, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from policy_cases import base
from typer.testing import CliRunner

from resguardo.cli.policy_cmd import app
from resguardo.cli.state import CliState
from resguardo.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resguardo.yaml"
runner = CliRunner()


def _write(tmp_path: Path, data: dict[str, Any], name: str = "resguardo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _broken(tmp_path: Path) -> Path:
    data = base()
    data["workflows"][0]["providers"] = ["eu"]
    data["workflows"][0]["categories"] = ["personal", "special"]  # special to eu; no art9/dpia
    return _write(tmp_path, data)


def _warning_only(tmp_path: Path) -> Path:
    data = base()
    del data["providers"][0]["credential"]
    return _write(tmp_path, data)


def test_check_passes_the_example_with_exit_zero() -> None:
    """The example policy checks clean."""
    result = runner.invoke(app, ["check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "no violations" in result.output


def test_check_lists_errors_with_file_and_line_and_exits_one(tmp_path: Path) -> None:
    """Violations are listed as file:line with their rule id, grouped under Errors."""
    path = _broken(tmp_path)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "Errors (3)" in result.output
    for rule in ("special-non-local", "special-art9-condition", "special-dpia"):
        assert f"[{rule}]" in result.output
    assert f"{path}:" in result.output


def test_warnings_alone_exit_zero_unless_strict(tmp_path: Path) -> None:
    """A warning is shown but does not fail, except with --strict."""
    path = _warning_only(tmp_path)
    relaxed = runner.invoke(app, ["check", str(path)])
    assert relaxed.exit_code == 0
    assert "Warnings (1)" in relaxed.output and "[credential-missing]" in relaxed.output
    assert runner.invoke(app, ["check", "--strict", str(path)]).exit_code == 1


def test_check_json_prints_an_array_of_violations(tmp_path: Path) -> None:
    """--json prints only a JSON array with rule, severity, file, line, path and message."""
    result = runner.invoke(app, ["check", "--json", str(_broken(tmp_path))])
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert {i["rule"] for i in items} == {"special-non-local", "special-art9-condition",
                                          "special-dpia"}
    assert all(isinstance(i["line"], int) and i["severity"] == "error" for i in items)


def test_check_json_of_a_clean_policy_is_an_empty_array() -> None:
    """A clean policy prints [] and exits 0."""
    result = runner.invoke(app, ["check", "--json", str(EXAMPLE)])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_invalid_file_is_reported_as_schema_errors(tmp_path: Path) -> None:
    """A file that does not validate exits 1 with its load errors as 'schema' violations."""
    data = base()
    data["workflows"][0]["legal_basis"] = "vibes"
    path = _write(tmp_path, data)
    result = runner.invoke(app, ["check", "--json", str(path)])
    assert result.exit_code == 1
    [item] = json.loads(result.stdout)
    assert item["rule"] == "schema" and item["path"] == "workflows[0].legal_basis"
    human = runner.invoke(app, ["check", str(path)])
    assert "workflows[0].legal_basis" in human.output and "the file is invalid" in human.output


def test_missing_file_exits_one(tmp_path: Path) -> None:
    """A policy path that does not exist is an error, not a traceback."""
    result = runner.invoke(app, ["check", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 1
    assert "cannot read the policy file" in result.output


def test_check_defaults_to_the_configured_policy_and_root_json(tmp_path: Path) -> None:
    """Without FILE, the settings' policy_path is checked; the root's --json applies."""
    state = CliState(settings=Settings(policy_path=_broken(tmp_path)), json_output=True)
    result = runner.invoke(app, ["check"], obj=state)
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)) == 3


def test_show_prints_each_workflow_and_where_its_categories_may_go() -> None:
    """The summary lists workflows, categories and reachable providers (JSON form)."""
    result = runner.invoke(app, ["show", "--json", str(EXAMPLE)])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    special = [r for r in rows if r["workflow"] == "voice-agent" and r["category"] == "special"]
    assert special == [{"workflow": "voice-agent", "legal_basis": "contract",
                        "category": "special", "providers": ["ollama-local"],
                        "retention_days": None}]
    table = runner.invoke(app, ["show", str(EXAMPLE)])
    assert table.exit_code == 0 and "invoice-processing" in table.output


def test_explain_gives_reasons_for_excluded_providers() -> None:
    """explain names each excluded provider with its reason code."""
    result = runner.invoke(app, ["explain", "voice-agent", "--file", str(EXAMPLE), "--json"])
    assert result.exit_code == 0
    report = {c["category"]: c for c in json.loads(result.stdout)["categories"]}
    assert report["special"]["allowed"] == ["ollama-local"]
    assert report["special"]["excluded"][0]["provider"] == "mistral-eu"
    human = runner.invoke(app, ["explain", "lead-qualifier", "-f", str(EXAMPLE), "-e", "test"])
    assert human.exit_code == 0 and "provider_live_only" in human.output


def test_explain_unknown_workflow_exits_one() -> None:
    """An unknown workflow id is an error listing the known ones."""
    result = runner.invoke(app, ["explain", "ghost", "-f", str(EXAMPLE)])
    assert result.exit_code == 1
    assert "voice-agent" in result.output
