"""The vault, rights and retention CLIs end to end over one SQLite file."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from resguardo.cli import retention_cmd, rights_cmd, vault_cmd
from resguardo.cli.state import CliState
from resguardo.rights.requests import RightsConfig
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.store.schema import create_schema
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.testkit import memory_vault_stack
from resguardo.vault.wiring import VaultStack

KEK = bytes(range(32))


@dataclass(frozen=True)
class _State(CliState):
    vault_stack_factory: Callable[[Settings], AbstractAsyncContextManager[VaultStack]] | None = (
        field(default=None)
    )


@pytest.fixture
def invoke(tmp_path: Path) -> Callable[..., dict | list]:
    """Run a sub-app with a stack over a SQLite file in tmp_path; returns the parsed JSON."""
    clock = FrozenClock()
    audit = MemoryAuditSink()

    @asynccontextmanager
    async def factory(_settings: Settings) -> AsyncIterator[VaultStack]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        await create_schema(db)
        try:
            yield await memory_vault_stack(db, clock, audit, kek=KEK,
                                           rights=RightsConfig(blocking_period=timedelta(0)))
        finally:
            await db.dispose()

    state = _State(settings=Settings(data_dir=tmp_path), json_output=True,
                   vault_stack_factory=factory)
    runner = CliRunner()

    def run(sub: typer.Typer, *args: str, code: int = 0) -> dict | list:
        result = runner.invoke(sub, list(args), obj=state)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout) if code == 0 else {"output": result.output}

    run.clock = clock  # type: ignore[attr-defined]
    return run


def test_operator_puts_finds_and_deletes_a_record(invoke: Callable[..., dict | list]) -> None:
    """Records written from the shell are found by another identifier format."""
    created = invoke(vault_cmd.app, "put", "leads", "--id", "email=Ana@Example.es",
                     "--id", "phone=612345678", "--field", "name=Ana", "--fields-json",
                     '{"score": 5}')
    found = invoke(vault_cmd.app, "find", "leads", "--by", "phone=+34 612 345 678")
    assert [r["fields"] for r in found] == [{"name": "Ana", "score": 5}]
    invoke(vault_cmd.app, "delete", "leads", created["id"])
    assert invoke(vault_cmd.app, "find", "leads", "--by", "email=ana@example.es") == []


def test_unlisted_field_fails_with_a_safe_message(invoke: Callable[..., dict | list]) -> None:
    """The CLI exits 1 naming the error code, never the value."""
    out = invoke(vault_cmd.app, "put", "leads", "--id", "email=a@example.es",
                 "--field", "iban=ES9121000418450200051332", code=1)
    assert "field_not_allowed" in out["output"] and "ES91" not in out["output"]


def test_rights_request_from_open_to_export_and_erasure(
    invoke: Callable[..., dict | list], tmp_path: Path
) -> None:
    """Open, verify, export to 0600 files, then erase a subject."""
    invoke(vault_cmd.app, "put", "leads", "--id", "email=ana@example.es", "--field", "name=Ana")
    req = invoke(rights_cmd.app, "open", "access", "--by", "email=ANA@example.es")
    invoke(rights_cmd.app, "verify", req["id"], "--method", "DNI at the desk")
    out = invoke(rights_cmd.app, "export", req["id"], "--out", str(tmp_path / "pkg"))
    assert out["records"] == 1
    for name in out["files"]:
        assert os.stat(name).st_mode & 0o777 == 0o600
    assert "Ana" in Path(out["files"][1]).read_text()
    er = invoke(rights_cmd.app, "open", "erasure", "--by", "email=ana@example.es")
    invoke(rights_cmd.app, "verify", er["id"], "--method", "DNI at the desk")
    assert invoke(rights_cmd.app, "erase", er["id"])["outcome"] == "erased"
    assert invoke(vault_cmd.app, "find", "leads", "--by", "email=ana@example.es") == []


def test_retention_run_dry_run_then_sweep(invoke: Callable[..., dict | list]) -> None:
    """A dry run reports and keeps; the real run deletes; a held collection is kept."""
    invoke(vault_cmd.app, "put", "calls", "--id", "phone=612345678", "--field", "agent=bot")
    invoke(vault_cmd.app, "put", "leads", "--id", "phone=699000111", "--field", "name=Bo")
    hold = invoke(rights_cmd.app, "hold", "place", "--collection", "leads",
                  "--reason", "Audit of 2026 leads")
    invoke.clock.advance(timedelta(days=400))  # type: ignore[attr-defined]
    dry = invoke(retention_cmd.app, "run", "--dry-run")
    assert dry["dry_run"] is True and dry["expired"] == 1
    done = invoke(retention_cmd.app, "run")
    assert done["deleted"] == 1 and done["subjects_shredded"] == 1
    assert [h["id"] for h in invoke(rights_cmd.app, "hold", "list")] == [hold["id"]]
