"""``resguardo review``: the human-review queue for automated decisions (Art. 22)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

import typer

from resguardo.cli.output import exit_on_error
from resguardo.cli.state import state_of
from resguardo.clock import SystemClock
from resguardo.errors import ConfigError
from resguardo.governance.review import ReviewQueue
from resguardo.governance.wiring import governance_from_settings

__all__ = ["app"]

app = typer.Typer(help="Review held outputs of automated decisions.", no_args_is_help=True)
T = TypeVar("T")
# The host operator acts as an admin: whoever runs the CLI can already read the data dir.
ACTOR, ROLE = "cli", "admin"
IdArg = Annotated[str, typer.Argument(help="Ticket id (rev_...).")]


def _run(ctx: typer.Context, action: Callable[[ReviewQueue], Awaitable[T]]) -> T:
    state = state_of(ctx)

    async def go() -> T:
        async with governance_from_settings(state.settings, os.environ, SystemClock(),
                                            with_keys=False) as gov:
            if gov.reviews is None:
                raise ConfigError("The review queue needs the key-encryption key.")
            return await action(gov.reviews)

    with exit_on_error():
        return asyncio.run(go())


def _print(ctx: typer.Context, data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@app.command("list")
def list_(ctx: typer.Context, workflow: Annotated[str | None, typer.Option()] = None) -> None:
    """Pending tickets, oldest first."""
    for t in _run(ctx, lambda q: q.pending(workflow)):
        typer.echo(f"{t.id}  {t.workflow:<20} held {t.held_at:%Y-%m-%d %H:%M}  "
                   f"expires {t.expires_at:%Y-%m-%d %H:%M}")


@app.command()
def show(ctx: typer.Context, ticket: IdArg) -> None:
    """Print the held output (the access is audited)."""
    _print(ctx, _run(ctx, lambda q: q.held_output(ticket, ACTOR, ROLE)))


@app.command()
def decide(
    ctx: typer.Context, ticket: IdArg,
    decision: Annotated[Literal["approve", "change", "reject"], typer.Argument()],
    reason: Annotated[str, typer.Option(help="Why (sent to the automation).")],
    output: Annotated[str | None, typer.Option(help="Changed output as JSON (change).")] = None,
) -> None:
    """Approve, change or reject a held output."""
    changed = json.loads(output) if output else None
    result = _run(ctx, lambda q: q.decide(ticket, ACTOR, ROLE, decision, reason, changed))
    _print(ctx, result.ticket.to_dict())


@app.command()
def stats(ctx: typer.Context) -> None:
    """Queue length and time-to-review."""
    _print(ctx, _run(ctx, lambda q: q.stats()))


@app.command()
def sweep(ctx: typer.Context) -> None:
    """Expire overdue tickets, shred old outcomes and retry failed callbacks."""
    async def action(q: ReviewQueue) -> tuple[int, int]:
        return await q.sweep(), await q.retry_callbacks()

    purged, retried = _run(ctx, action)
    typer.echo(f"purged {purged}, callbacks redelivered {retried}")
