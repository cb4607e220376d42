"""``resguardo vault``: operator access to vault records (audited like every other access)."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from resguardo.cli.state import state_of
from resguardo.errors import InputError, ResguardoError
from resguardo.settings import Settings
from resguardo.vault.access import operator_grant
from resguardo.vault.wiring import VaultStack

__all__ = [
    "StackFactory", "app", "emit", "open_stack", "operator", "pairs", "run_async", "settings_stack",
]

app = typer.Typer(help="Encrypted vault records: put, get, find, delete, break-glass.",
                  no_args_is_help=True)
T = TypeVar("T")
StackFactory = Callable[[Settings], AbstractAsyncContextManager[VaultStack]]
Env = Annotated[str, typer.Option("--env", help="Environment: live or test.")]


@asynccontextmanager
async def settings_stack(settings: Settings) -> AsyncIterator[VaultStack]:
    """The stack over the configured database, KEK and durable audit log."""
    from resguardo.audit.log import DbAuditLog
    from resguardo.bootstrap import load_policy_file
    from resguardo.clock import SystemClock
    from resguardo.crypto.factory import encryptor_from_settings
    from resguardo.store.db import Database
    from resguardo.vault.wiring import build_vault_stack, db_audit_history

    clock = SystemClock()
    db = Database(settings.effective_database_url)
    audit = DbAuditLog(db, clock)
    try:
        await audit.ensure_head()
        yield await build_vault_stack(
            db=db, policy=load_policy_file(settings.policy_path), clock=clock,
            encryptor=encryptor_from_settings(settings, os.environ, db, clock),
            audit=audit, audit_query=db_audit_history(db),
        )
    finally:
        await audit.aclose()
        await db.dispose()


def open_stack(ctx: typer.Context) -> AbstractAsyncContextManager[VaultStack]:
    """The stack for this command (a test may put ``vault_stack_factory`` on the root obj)."""
    state = state_of(ctx)
    factory: StackFactory = getattr(state, "vault_stack_factory", None) or settings_stack
    return factory(state.settings)


def operator() -> str:
    """The actor id the CLI writes into audit events."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no user database entry (containers): still attributable to the CLI
        return "cli:operator"


def pairs(values: list[str] | None, what: str) -> dict[str, str]:
    """``k=v`` options as a dict (an error names the option, never the value)."""
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{what} must look like kind=value.")
        out[key.strip()] = value
    return out


def run_async(ctx: typer.Context, work: Callable[[VaultStack], Awaitable[T]]) -> T:
    """Run ``work`` with a stack; domain errors become a clean exit with their safe message."""

    async def go() -> T:
        async with open_stack(ctx) as stack:
            return await work(stack)

    coro: Coroutine[Any, Any, T] = go()
    try:
        return asyncio.run(coro)
    except ResguardoError as exc:
        Console(stderr=True).print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(1) from None


def emit(ctx: typer.Context, data: Any) -> None:
    """Print JSON (``--json`` or structured data) or a readable line."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=None if state_of(ctx).json_output
                          else 2, default=str))


@app.command("put")
def put(
    ctx: typer.Context,
    collection: str,
    identifier: Annotated[list[str], typer.Option("--id", help="kind=value, e.g. email=…")],
    field: Annotated[list[str] | None, typer.Option("--field", help="name=value")] = None,
    fields_json: Annotated[str | None, typer.Option("--fields-json", help="JSON object")] = None,
    env: Env = "live",
) -> None:
    """Store a record for the subject the identifiers name."""
    values: dict[str, Any] = dict(pairs(field, "--field"))
    if fields_json:
        try:
            extra = json.loads(fields_json)
        except ValueError:
            raise typer.BadParameter("--fields-json is not JSON.") from None
        if not isinstance(extra, dict):
            raise typer.BadParameter("--fields-json must be an object.")
        values.update(extra)

    async def work(stack: VaultStack) -> dict[str, Any]:
        grant = operator_grant(stack.vault.policy, collection, environment=env, actor=operator())
        record = await stack.vault.create(grant, pairs(identifier, "--id"), values)
        return {"id": record.id, "collection": record.collection}

    emit(ctx, run_async(ctx, work))


@app.command("get")
def get(ctx: typer.Context, collection: str, record_id: str, env: Env = "live") -> None:
    """Show one record."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        grant = operator_grant(stack.vault.policy, collection, environment=env,
                               actor=operator(), mode="read")
        return (await stack.vault.read(grant, record_id)).to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("find")
def find(
    ctx: typer.Context,
    collection: str,
    by: Annotated[str, typer.Option("--by", help="kind=value of one identifier")],
    env: Env = "live",
) -> None:
    """List a subject's records in a collection, found by one identifier."""
    ((kind, value),) = pairs([by], "--by").items()

    async def work(stack: VaultStack) -> list[dict[str, Any]]:
        grant = operator_grant(stack.vault.policy, collection, environment=env,
                               actor=operator(), mode="read")
        return [r.to_dict() for r in await stack.vault.list_by_subject(grant, kind, value)]

    emit(ctx, run_async(ctx, work))


@app.command("delete")
def delete(ctx: typer.Context, collection: str, record_id: str, env: Env = "live") -> None:
    """Delete one record."""

    async def work(stack: VaultStack) -> dict[str, str]:
        grant = operator_grant(stack.vault.policy, collection, environment=env, actor=operator())
        await stack.vault.delete(grant, record_id)
        return {"deleted": record_id}

    emit(ctx, run_async(ctx, work))


@app.command("break-glass")
def break_glass(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="kind=value of one identifier")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log)")],
    env: Env = "live",
) -> None:
    """Read a blocked subject's records (LOPDGDD Art. 32): audited, reason required."""
    ((kind, value),) = pairs([by], "--by").items()

    async def work(stack: VaultStack) -> list[dict[str, Any]]:
        subject_id = await stack.vault.find_subject(env, kind, value)
        if subject_id is None:
            raise InputError("No subject has this identifier.", code="subject_unknown")
        records = await stack.vault.break_glass(actor=operator(), environment=env,
                                                subject_id=subject_id, reason=reason)
        return [r.to_dict() for r in records]

    emit(ctx, run_async(ctx, work))
