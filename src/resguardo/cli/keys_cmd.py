"""``resguardo keys``: create, list, show, rotate and revoke API keys.

The full key is printed once, by ``create`` and ``rotate``; nothing can print it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import typer

from resguardo.auth.bundle import AuthServices, build_auth_services, pepper_from, redis_client
from resguardo.auth.keys import IssuedKey, KeyInfo
from resguardo.auth.scopes import scopes_from_mapping
from resguardo.cli.output import emit_result, exit_on_error
from resguardo.cli.state import CliState, state_of
from resguardo.clock import SystemClock
from resguardo.store.db import Database

__all__ = ["app", "cli_auth", "run_auth"]

app = typer.Typer(help="API keys: one workflow, one environment, narrowed scopes.",
                  no_args_is_help=True)

T = TypeVar("T")
CLI_ACTOR = "cli"


@asynccontextmanager
async def cli_auth(state: CliState) -> AsyncIterator[AuthServices]:
    """Access-control services over the configured database, audit trail and policy."""
    from resguardo.audit.log import DbAuditLog
    from resguardo.bootstrap import load_policy_file

    settings = state.settings
    clock = SystemClock()
    policy = load_policy_file(settings.policy_path)
    db = Database(settings.effective_database_url)
    sink = DbAuditLog(db, clock)
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    try:
        # The epoch file tells a server on this host that a key changed (see auth.epochs).
        yield build_auth_services(db=db, policy=policy, clock=clock,
                                  pepper=pepper_from(settings.data_dir), audit_sink=sink,
                                  redis=redis, epoch_file=settings.data_dir / "auth_epoch")
    finally:
        await sink.aclose()
        if redis is not None:
            await redis.aclose()
        await db.dispose()


def run_auth(ctx: typer.Context, action: Callable[[AuthServices], Awaitable[T]]) -> T:
    """Run one action with the services; errors become a one-line message and exit 1."""
    state = state_of(ctx)

    async def go() -> T:
        async with cli_auth(state) as auth:
            return await action(auth)

    with exit_on_error(json_errors=state.json_output):
        return asyncio.run(go())


def _line(info: dict[str, Any]) -> str:
    return (f"{info['key_id']}  {info['status']:<8} {info['environment']:<5} "
            f"{info['workflow']:<24} {info['name']}")


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value is not None else None


@app.command("create")
def create(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Option("--workflow", "-w", help="Workflow id in the policy.")],
    environment: Annotated[str, typer.Option("--env", "-e", help="live or test.")] = "live",
    name: Annotated[str, typer.Option(help="A label for humans.")] = "",
    endpoints: Annotated[str | None, typer.Option(help="Comma-separated endpoints.")] = None,
    categories: Annotated[str | None, typer.Option(help="Comma-separated categories.")] = None,
    providers: Annotated[str | None, typer.Option(help="Comma-separated providers.")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated models.")] = None,
    read: Annotated[str | None, typer.Option(help="Vault collections to read.")] = None,
    write: Annotated[str | None, typer.Option(help="Vault collections to write.")] = None,
    networks: Annotated[str | None, typer.Option(help="Allowed source CIDRs.")] = None,
    max_bytes: Annotated[int | None, typer.Option(help="Largest request body.")] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute.")] = None,
    tpm: Annotated[int | None, typer.Option(help="Model tokens per minute.")] = None,
    expires_days: Annotated[int | None, typer.Option(help="Expire after N days.")] = None,
) -> None:
    """Issue a key; its secret is printed once and never stored."""
    raw_scopes = {
        "endpoints": _csv(endpoints), "categories": _csv(categories),
        "providers": _csv(providers), "models": _csv(models),
        "collections_read": _csv(read), "collections_write": _csv(write),
        "networks": _csv(networks), "max_request_bytes": max_bytes,
        "requests_per_minute": rpm, "tokens_per_minute": tpm,
    }

    async def action(auth: AuthServices) -> IssuedKey:
        scopes = scopes_from_mapping(raw_scopes)
        expires = auth.clock.now() + timedelta(days=expires_days) if expires_days else None
        return await auth.keys.create(workflow, environment, name=name, scopes=scopes,
                                      expires_at=expires, actor=CLI_ACTOR)

    issued = run_auth(ctx, action)
    emit_result(ctx, {"key": issued.token, **issued.info.to_dict()},
          f"{issued.token}\n\nKey {issued.info.key_id} for workflow {workflow} ({environment}).\n"
          "Store it now: it will not be shown again.")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    workflow: Annotated[str | None, typer.Option("--workflow", "-w")] = None,
) -> None:
    """List keys (never their secrets)."""

    async def action(auth: AuthServices) -> list[dict[str, Any]]:
        now = auth.clock.now()
        return [k.to_dict(now) for k in await auth.keys.list_keys(workflow_id=workflow)]

    keys = run_auth(ctx, action)
    emit_result(ctx, {"keys": keys}, "\n".join(_line(k) for k in keys) or "No keys.")


@app.command("show")
def show(ctx: typer.Context, key_id: str) -> None:
    """Show one key's scopes, status and last use."""

    async def action(auth: AuthServices) -> dict[str, Any]:
        info: KeyInfo = await auth.keys.show(key_id)
        return info.to_dict(auth.clock.now())

    info = run_auth(ctx, action)
    text = "\n".join(f"{k:>22}: {v}" for k, v in info.items())
    emit_result(ctx, info, text)


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    key_id: str,
    grace_hours: Annotated[float, typer.Option(help="Hours the old secret stays valid.")] = 24.0,
) -> None:
    """New secret, same key id; the old one works until the grace period ends."""

    async def action(auth: AuthServices) -> IssuedKey:
        return await auth.keys.rotate(key_id, grace=timedelta(hours=grace_hours),
                                      actor=CLI_ACTOR)

    issued = run_auth(ctx, action)
    until = issued.info.previous_valid_until
    emit_result(ctx, {"key": issued.token, **issued.info.to_dict()},
          f"{issued.token}\n\nOld secret valid until {until.isoformat() if until else 'now'}.")


@app.command("revoke")
def revoke(ctx: typer.Context, key_id: str) -> None:
    """Revoke a key; it fails from the next request on."""

    async def action(auth: AuthServices) -> dict[str, Any]:
        return (await auth.keys.revoke(key_id, actor=CLI_ACTOR)).to_dict()

    info = run_auth(ctx, action)
    emit_result(ctx, info, f"Key {key_id} revoked.")
