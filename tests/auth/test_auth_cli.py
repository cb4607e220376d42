"""``resguardo keys`` and ``resguardo admin`` against a real SQLite data directory."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pyotp
import pytest
import typer
import yaml
from auth_helpers import make_policy
from typer.testing import CliRunner

from resguardo.auth.totp import Enrolment
from resguardo.cli import admin_cmd, keys_cmd
from resguardo.cli.state import CliState
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.store.schema import create_schema

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def cli(tmp_path: Path) -> typer.Typer:
    """A root command holding --json, with the keys and admin sub-apps mounted."""
    settings = Settings.from_env({"RESGUARDO_DATA_DIR": str(tmp_path)})
    tmp_path.joinpath("resguardo.yaml").write_text(
        yaml.safe_dump(make_policy().model_dump(mode="json", exclude_defaults=True)))

    async def schema() -> None:
        db = Database(settings.effective_database_url)
        await create_schema(db)
        await db.dispose()

    asyncio.run(schema())
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
        ctx.obj = CliState(settings=settings, json_output=json_output)

    root.add_typer(keys_cmd.app, name="keys")
    root.add_typer(admin_cmd.app, name="admin")
    return root


def _run(cli: typer.Typer, *args: str, input: str | None = None) -> Any:
    result = CliRunner().invoke(cli, ["--json", *args], input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_keys_create_list_show_rotate_revoke(cli: typer.Typer, tmp_path: Path) -> None:
    """The whole key lifecycle from the terminal; the secret appears only at create/rotate."""
    created = _run(cli, "keys", "create", "-w", "leads", "-e", "live", "--name", "n8n",
                   "--endpoints", "chat.completions", "--rpm", "60")
    key_id, token = created["key_id"], created["key"]
    assert token.startswith(f"rsg_live_{key_id}_")
    listed = _run(cli, "keys", "list")
    assert [k["key_id"] for k in listed["keys"]] == [key_id] and token not in json.dumps(listed)
    shown = _run(cli, "keys", "show", key_id)
    assert shown["scopes"] == {"endpoints": ["chat.completions"], "requests_per_minute": 60}
    rotated = _run(cli, "keys", "rotate", key_id, "--grace-hours", "1")
    assert rotated["key"] != token and rotated["secret_version"] == 2
    assert _run(cli, "keys", "revoke", key_id)["status"] == "revoked"
    # The revocation was announced to any server on this host through the epoch file.
    assert (tmp_path / "auth_epoch").exists()


def test_keys_create_refuses_scopes_wider_than_the_workflow(cli: typer.Typer) -> None:
    """Exit 1 with a machine-readable code."""
    result = CliRunner().invoke(cli, ["--json", "keys", "create", "-w", "voice",
                                      "--providers", "openai-eu"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "scope_exceeds_workflow"


def test_first_owner_is_created_with_2fa_from_the_cli(cli: typer.Typer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """admin create shows a QR code, checks a TOTP code and prints recovery codes."""
    import resguardo.auth.admins as admins_module

    uri = pyotp.TOTP(SEED).provisioning_uri(name="root", issuer_name="Resguardo")
    monkeypatch.setattr(admins_module, "enrolment_for",
                        lambda username: Enrolment(seed=SEED, uri=uri))
    code = pyotp.TOTP(SEED).now()
    result = CliRunner().invoke(
        cli, ["--json", "admin", "create", "root", "--role", "owner", "--password-stdin"],
        input=f"correct horse battery\n000000\n{code}\n")
    assert result.exit_code == 0, result.output
    # CliRunner echoes typed input onto stdout; a terminal wouldn't. The JSON follows it.
    out = json.loads(result.stdout[result.stdout.index("{"):])
    assert out["role"] == "owner" and out["totp_enabled"] and len(out["recovery_codes"]) == 10
    assert "otpauth://totp/" in result.stderr and "correct horse" not in result.output
    admins = _run(cli, "admin", "list")["admins"]
    assert [(a["username"], a["totp_enabled"]) for a in admins] == [("root", True)]
    assert not _run(cli, "admin", "reset-2fa", "root")["totp_enabled"]
    result = CliRunner().invoke(cli, ["--json", "admin", "disable", "root"])
    assert json.loads(result.stdout)["error"]["code"] == "last_owner"
