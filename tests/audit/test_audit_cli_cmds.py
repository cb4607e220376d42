"""``resguardo audit`` commands against a real SQLite store in a temporary data directory."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from resguardo.audit.events import AuditEvent
from resguardo.audit.log import HEAD_ID, DbAuditLog
from resguardo.audit.signing import load_signing_key
from resguardo.audit.tables import AuditCheckpointRow, AuditEventRow, AuditHeadRow
from resguardo.audit.wiring import SIGNING_KEY_FILE
from resguardo.cli.audit_cmd import app
from resguardo.cli.state import CliState
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.store.schema import create_schema
from resguardo.testing import FrozenClock

runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path) -> CliState:
    """A data directory with a store holding six events."""
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")

    async def seed() -> None:
        db = Database(settings.effective_database_url)
        await create_schema(db)
        log = DbAuditLog(db, FrozenClock(), load_signing_key(tmp_path / SIGNING_KEY_FILE))
        for i in range(6):
            await log.record(AuditEvent("gateway.request", "masked" if i % 2 else "blocked",
                                        actor="key_a", workflow="leads" if i < 4 else "calls",
                                        environment="test" if i == 5 else "live",
                                        data={"categories": {"personal": i}}))
        await log.aclose()
        await db.dispose()

    asyncio.run(seed())
    return CliState(settings=settings)


def _tamper(state: CliState) -> None:
    async def go() -> None:
        db = Database(state.settings.effective_database_url)
        async with db.session() as s:
            h4 = await s.scalar(select(AuditEventRow.hash).where(AuditEventRow.seq == 4))
            await s.execute(delete(AuditEventRow).where(AuditEventRow.seq > 4))
            await s.execute(delete(AuditCheckpointRow))
            await s.execute(update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID)
                            .values(seq=4, hash=h4))
        await db.dispose()

    asyncio.run(go())


def test_verify_passes_then_catches_truncation_against_witness_file(
    state: CliState, tmp_path: Path
) -> None:
    """verify exits 0 on an intact log and 1, naming the cut range, after a truncation."""
    ok = runner.invoke(app, ["verify"], obj=state)
    assert ok.exit_code == 0 and "OK" in ok.output
    cp = runner.invoke(app, ["checkpoint", "--out", str(tmp_path / "witness.json")], obj=state)
    assert cp.exit_code == 0 and json.loads(cp.output)["seq"] == 6
    _tamper(state)
    bad = runner.invoke(app, ["verify", "--checkpoint", str(tmp_path / "witness.json")], obj=state)
    assert bad.exit_code == 1
    assert "TRUNCATED: seq 5..6" in bad.output


def test_verify_json_report(state: CliState) -> None:
    """--json prints the machine-readable report."""
    result = runner.invoke(app, ["verify", "--json"], obj=state)
    assert json.loads(result.output)["events"] == 6


def test_query_filters_and_prints_json(state: CliState) -> None:
    """query narrows by workflow and action."""
    result = runner.invoke(app, ["query", "--workflow", "leads", "--action", "masked", "--json"],
                           obj=state)
    assert [r["seq"] for r in json.loads(result.output)] == [2, 4]
    table = runner.invoke(app, ["query", "--key", "key_a"], obj=state)
    assert table.exit_code == 0 and "gateway.request" in table.output


def test_query_and_export_filter_by_environment(state: CliState, tmp_path: Path) -> None:
    """--environment keeps only that environment's events, in query and in export."""
    result = runner.invoke(app, ["query", "--environment", "test", "--json"], obj=state)
    assert result.exit_code == 0, result.output
    assert [(r["seq"], r["environment"]) for r in json.loads(result.output)] == [(6, "test")]
    out = tmp_path / "live.jsonl"
    export = runner.invoke(app, ["export", "--environment", "live", "--out", str(out)], obj=state)
    assert export.exit_code == 0
    assert [json.loads(line)["seq"] for line in out.read_text().splitlines()] == [1, 2, 3, 4, 5]


def test_export_csv_to_file(state: CliState, tmp_path: Path) -> None:
    """export writes a CSV with a header and one line per event."""
    out = tmp_path / "a.csv"
    result = runner.invoke(app, ["export", "--format", "csv", "--out", str(out),
                                 "--workflow", "calls"], obj=state)
    assert result.exit_code == 0
    assert len(out.read_text().splitlines()) == 3


def test_prune_keeps_the_log_verifiable(state: CliState) -> None:
    """prune removes events older than the window (seeded in January) behind a signed anchor."""
    result = runner.invoke(app, ["prune", "--days", "1"], obj=state)
    assert json.loads(result.output) == {"deleted": 6, "anchor_seq": 7}
    report = runner.invoke(app, ["verify", "--json"], obj=state)
    assert report.exit_code == 0
    assert json.loads(report.output)["first_seq"] == 7  # the retention event itself
