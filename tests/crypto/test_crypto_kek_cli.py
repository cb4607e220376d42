"""`resguardo kek`: list, rotate (with re-wrap), retire, on a real SQLite store and key file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from resguardo.cli.kek_cmd import app
from resguardo.cli.state import CliState
from resguardo.crypto import DataKeys, FileKeyProvider, Owner
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.store.schema import create_schema
from resguardo.testing import FrozenClock

runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path) -> CliState:
    """A data directory with a key file and a store holding three data keys under v1."""
    settings = Settings(data_dir=tmp_path, kek_file=tmp_path / "kek.json")
    provider = FileKeyProvider.create(settings.kek_file)

    async def seed() -> None:
        db = Database(settings.effective_database_url)
        await create_schema(db)
        keys = DataKeys(db, provider, FrozenClock())
        for name in ("a", "b", "c"):
            await keys.get_or_create(Owner.subject(name))
        await db.dispose()

    asyncio.run(seed())
    return CliState(settings=settings)


def _json(state: CliState, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"], obj=state)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_shows_versions_and_usage_but_never_key_material(state: CliState) -> None:
    """`kek list` reports version, state and data-key count; the key bytes never appear."""
    out = _json(state, "list")
    assert [{k: v for k, v in row.items() if k != "created_at"} for row in out["versions"]] == [
        {"version": 1, "state": "active", "data_keys": 3}
    ]
    key = json.loads(state.settings.kek_file.read_text())["versions"][0]["key"]
    human = runner.invoke(app, ["list"], obj=state)
    assert human.exit_code == 0 and "active" in human.stdout
    assert key not in human.stdout and key not in json.dumps(out)


def test_rotate_creates_a_version_and_rewraps_every_data_key(state: CliState) -> None:
    """`kek rotate --json` moves all data keys to the new version and says so."""
    assert _json(state, "rotate") == {"previous": 1, "current": 2, "total": 3, "rewrapped": 3}
    versions = _json(state, "list")["versions"]
    assert [(v["version"], v["state"], v["data_keys"]) for v in versions] == [
        (1, "decrypt-only", 0),
        (2, "active", 3),
    ]


def test_rotate_without_json_draws_progress_and_a_summary(state: CliState) -> None:
    """The human form prints a summary line pointing at `kek retire`."""
    result = runner.invoke(app, ["rotate"], obj=state)
    assert result.exit_code == 0, result.output
    assert "v1 -> v2" in result.stdout and "kek retire" in result.stdout


def test_retire_refuses_while_data_keys_use_the_version(state: CliState) -> None:
    """Retiring v1 before re-wrapping fails with exit 1; after `kek rewrap` it succeeds."""
    asyncio.run(FileKeyProvider(state.settings.kek_file).rotate())  # rotate without re-wrap
    refused = runner.invoke(app, ["retire", "1"], obj=state)
    assert refused.exit_code == 1
    assert "still wrapped" in refused.stderr
    assert _json(state, "rewrap") == {"current": 2, "total": 3, "rewrapped": 3}
    assert _json(state, "retire", "1") == {"version": 1, "state": "retired"}
    active = runner.invoke(app, ["retire", "2"], obj=state)
    assert active.exit_code == 1 and "active" in active.stderr


def test_a_world_readable_key_file_stops_the_cli(state: CliState) -> None:
    """A KEK file readable by others is refused with exit 1 and the chmod hint."""
    state.settings.kek_file.chmod(0o644)
    result = runner.invoke(app, ["list"], obj=state)
    assert result.exit_code == 1 and "chmod 600" in result.stderr
