"""`resguardo report ...` and `resguardo incident ...` against a real data directory."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import yaml
from gov_helpers import gov_policy, seeded_events
from typer.testing import CliRunner

from resguardo.audit.log import DbAuditLog
from resguardo.cli.incident_cmd import app as incident_app
from resguardo.cli.report_cmd import app as report_app
from resguardo.clock import SystemClock
from resguardo.store.db import Database
from resguardo.store.schema import create_schema

runner = CliRunner()


def _data_dir(tmp_path: Path) -> dict[str, str]:
    data = gov_policy().model_dump(mode="json", exclude_defaults=True)
    (tmp_path / "resguardo.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'resguardo.db'}")
        await create_schema(db)
        log = DbAuditLog(db, SystemClock())
        now = SystemClock().now()
        for i, event in enumerate(seeded_events()):
            await log.record(type(event)(**{**event.__dict__,
                                            "at": now - timedelta(days=1, minutes=-i)}))
        await log.aclose()
        await db.dispose()

    asyncio.run(seed())
    return {"RESGUARDO_DATA_DIR": str(tmp_path),
            "RESGUARDO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'resguardo.db'}"}


def test_report_ropa_writes_every_format_and_flags_drift(tmp_path: Path) -> None:
    """HTML, Markdown, CSV and JSON are written; drift from the trail is reported."""
    env = _data_dir(tmp_path)
    for fmt in ("html", "md", "csv", "json"):
        out = tmp_path / f"ropa.{fmt}"
        result = runner.invoke(report_app, ["ropa", "--format", fmt, "-o", str(out)], env=env)
        assert result.exit_code == 0, result.output
        assert "support-bot" in out.read_text(encoding="utf-8")
        assert "1 drift finding" in result.output
    data = json.loads((tmp_path / "ropa.json").read_text(encoding="utf-8"))
    assert data["drift"][0]["item"] == "financial"
    assert "<svg" in (tmp_path / "ropa.html").read_text(encoding="utf-8")


def test_report_dpia_exits_one_when_a_dpia_is_missing(tmp_path: Path) -> None:
    """The HR assistant and the support bot need a DPIA they do not name."""
    env = _data_dir(tmp_path)
    result = runner.invoke(report_app, ["dpia", "--json"], env=env)
    assert result.exit_code == 1
    missing = {v["workflow"] for v in json.loads(result.output) if v["missing"]}
    assert missing == {"hr-assistant", "support-bot"}


def test_report_transfers_and_datamap(tmp_path: Path) -> None:
    """Transfers list openai-us under the DPF; the data map is an SVG."""
    env = _data_dir(tmp_path)
    result = runner.invoke(report_app, ["transfers"], env=env)
    assert result.exit_code == 0 and "openai-us (US)" in result.output
    assert "received:    financial (1), personal (2)" in result.output
    svg = runner.invoke(report_app, ["datamap", "--days", "0"], env=env)
    assert svg.exit_code == 0 and svg.output.startswith("<svg")


def test_incident_open_show_and_draft(tmp_path: Path) -> None:
    """Opening from the CLI freezes evidence and prints the remaining tasks; drafts print."""
    env = _data_dir(tmp_path)
    result = runner.invoke(incident_app, ["open", "--title", "Leaked key", "-w", "support-bot"],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "[ ] provider:openai-us" in result.output
    incident_id = result.output.split()[0]
    assert list((tmp_path / "evidence").glob(f"{incident_id}-audit.jsonl"))
    draft = runner.invoke(incident_app, ["draft", incident_id, "aepd"], env=env)
    assert draft.exit_code == 0 and "Notificación de brecha" in draft.output
