"""The root command: version, init, db upgrade, help that reads well."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resguardo import __version__
from resguardo.cli.main import _mount, app

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def mounted() -> None:
    _mount()


def test_version_prints_the_package_version() -> None:
    """`resguardo --version` prints the version and exits 0."""
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_help_lists_the_main_commands() -> None:
    """`--help` shows init, serve and the policy and database groups."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "serve", "policy", "db"):
        assert command in result.stdout


def test_init_creates_a_private_kek_a_policy_and_the_database(tmp_path: Path) -> None:
    """`init` lays out the data directory; the KEK file is readable by its owner only."""
    data = tmp_path / "data"
    result = runner.invoke(app, ["--data-dir", str(data), "--json", "init"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["data_dir"] == str(data)
    kek = data / "kek.json"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600
    assert (data / "resguardo.yaml").exists()
    assert (data / "resguardo.db").exists()


def test_init_twice_keeps_the_existing_key_and_policy(tmp_path: Path) -> None:
    """A second `init` never overwrites the key-encryption key or the policy."""
    data = tmp_path / "data"
    assert runner.invoke(app, ["--data-dir", str(data), "init"]).exit_code == 0
    kek_before = (data / "kek.json").read_bytes()
    (data / "resguardo.yaml").write_text(
        (data / "resguardo.yaml").read_text() + "\n# edited\n"
    )
    assert runner.invoke(app, ["--data-dir", str(data), "init"]).exit_code == 0
    assert (data / "kek.json").read_bytes() == kek_before
    assert (data / "resguardo.yaml").read_text().endswith("# edited\n")


def test_db_upgrade_reports_the_head_revision(tmp_path: Path) -> None:
    """`db upgrade` migrates an empty database to the newest shipped revision."""
    from resguardo.store.migrate import head_revision

    result = runner.invoke(app, ["--data-dir", str(tmp_path), "--json", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revision"] == head_revision()
