"""``resguardo admin``: create (with 2FA enrolment), list, disable, reset 2FA.

This is the only way to create the first owner: the HTTP API never bootstraps one.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from resguardo.auth.admins import AdminInfo
from resguardo.auth.bundle import AuthServices
from resguardo.auth.permissions import Role
from resguardo.auth.totp import qr_ascii
from resguardo.cli.keys_cmd import CLI_ACTOR, run_auth
from resguardo.cli.output import emit_result
from resguardo.cli.state import state_of
from resguardo.errors import Unauthenticated

__all__ = ["app"]

app = typer.Typer(help="Admin accounts: password + mandatory TOTP, roles.", no_args_is_help=True)

_MAX_CODE_TRIES = 3


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True,
                                 err=True)
    return password


@app.command("create")
def create(
    ctx: typer.Context,
    username: str,
    role: Annotated[Role, typer.Option(help="owner, admin, auditor or dpo.")] = Role.ADMIN,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Create an admin and enrol TOTP now (scan the QR code, type a code)."""
    password = _read_password(password_stdin)
    json_out = state_of(ctx).json_output

    async def action(auth: AuthServices) -> tuple[AdminInfo, list[str]]:
        info = await auth.admins.create(username, password, role.value, actor=CLI_ACTOR,
                                        from_cli=True)
        enrolment = await auth.admins.begin_enrolment(info.admin_id)
        # In JSON mode stdout carries only the result; the QR code and prompt go to stderr.
        typer.echo(qr_ascii(enrolment.uri), err=json_out)
        typer.echo(f"otpauth URI: {enrolment.uri}", err=json_out)
        for attempt in range(_MAX_CODE_TRIES):
            code: str = typer.prompt("Code from the authenticator app", err=True)
            try:
                codes = await auth.admins.confirm_enrolment(info.admin_id, code)
                return await auth.admins.get(info.admin_id), codes
            except Unauthenticated:
                if attempt == _MAX_CODE_TRIES - 1:
                    raise
                typer.echo("That code is not valid; try again.", err=True)
        raise AssertionError("unreachable")  # pragma: no cover

    info, codes = run_auth(ctx, action)
    emit_result(ctx, {**info.to_dict(), "recovery_codes": codes},
          f"Admin {info.username} ({info.role}) created with 2FA.\n"
          "Recovery codes (each works once; store them offline):\n  " + "\n  ".join(codes))


@app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """List admins, their roles and 2FA status."""

    async def action(auth: AuthServices) -> list[dict[str, Any]]:
        return [a.to_dict() for a in await auth.admins.list_admins()]

    admins = run_auth(ctx, action)
    lines = [f"{a['username']:<30} {a['role']:<8} {a['status']:<9} "
             f"2fa={'on' if a['totp_enabled'] else 'off'}" for a in admins]
    emit_result(ctx, {"admins": admins}, "\n".join(lines) or "No admins.")


@app.command("disable")
def disable(ctx: typer.Context, username: str) -> None:
    """Disable an admin and end all of their sessions now."""

    async def action(auth: AuthServices) -> dict[str, Any]:
        target = await auth.admins.find(username)
        return (await auth.admins.disable(target.admin_id, actor=CLI_ACTOR)).to_dict()

    info = run_auth(ctx, action)
    emit_result(ctx, info, f"Admin {username} disabled; their sessions have ended.")


@app.command("reset-2fa")
def reset_2fa(ctx: typer.Context, username: str) -> None:
    """Remove an admin's TOTP and recovery codes; they enrol again at next sign-in."""

    async def action(auth: AuthServices) -> dict[str, Any]:
        target = await auth.admins.find(username)
        return (await auth.admins.reset_2fa(target.admin_id, actor=CLI_ACTOR)).to_dict()

    info = run_auth(ctx, action)
    emit_result(ctx, info, f"2FA reset for {username}; they will enrol again at next sign-in.")
