"""``resguardo incident``: the breach register and its 72-hour clock (Art. 33/34)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from resguardo.cli.output import exit_on_error
from resguardo.cli.state import state_of
from resguardo.clock import SystemClock, as_utc
from resguardo.governance.impact import IncidentScope
from resguardo.governance.incidents import Incident
from resguardo.governance.wiring import Governance, governance_from_settings

__all__ = ["app"]

app = typer.Typer(help="Breach register: open, investigate, notify, close.",
                  no_args_is_help=True)
T = TypeVar("T")
ACTOR = "cli"
IdArg = Annotated[str, typer.Argument(help="Incident id (inc_...).")]


def _run(ctx: typer.Context, action: Callable[[Governance], Awaitable[T]]) -> T:
    state = state_of(ctx)

    async def go() -> T:
        async with governance_from_settings(state.settings, os.environ, SystemClock(),
                                            with_reviews=False) as gov:
            return await action(gov)

    with exit_on_error():
        return asyncio.run(go())


def _show(ctx: typer.Context, inc: Incident) -> None:
    d = inc.to_dict()
    if state_of(ctx).json_output:
        typer.echo(json.dumps(d, indent=2, ensure_ascii=False, default=str))
        return
    typer.echo(f"{d['id']}  [{d['status']}]  {d['title']}")
    typer.echo(f"  discovered {d['discovered_at']}; deadline {d['deadline_at']} "
               f"({d['hours_left']} h left{', OVERDUE' if d['overdue'] else ''})")
    typer.echo(f"  authority: {d['authority_status']}; subjects: {d['subjects_status']}; "
               f"risk: {d['risk']}")
    impact = d.get("impact") or {}
    typer.echo(f"  impact: ~{impact.get('subjects_approx', '?')} subjects; categories "
               f"{', '.join(impact.get('categories', {})) or '-'}")
    for t in d["remaining_tasks"]:
        typer.echo(f"  [ ] {t['id']}: {t['label']}")


@app.command("open")
def open_(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Short description (no personal data).")],
    workflow: Annotated[list[str] | None, typer.Option("--workflow", "-w")] = None,
    key: Annotated[list[str] | None, typer.Option("--key", "-k", help="Key id.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Window start (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Window end (UTC).")] = None,
    discovered: Annotated[datetime | None, typer.Option(help="Discovery time (UTC).")] = None,
    keys: Annotated[Literal["revoke", "rotate", "none"], typer.Option(
        help="What to do with implicated Resguardo keys.")] = "revoke",
) -> None:
    """Open an incident and run the first-24-hours plan."""
    scope = IncidentScope(tuple(key or ()), tuple(workflow or ()), as_utc(since), as_utc(until))

    async def action(gov: Governance) -> Any:
        return await gov.register.open(title=title, opened_by=ACTOR, scope=scope,
                                       discovered_at=as_utc(discovered), key_action=keys)

    opened = _run(ctx, action)
    _show(ctx, opened.incident)
    for issued in opened.rotated:
        # Shown once: the only copy of the new secret.
        typer.echo(f"new secret for {issued.info.key_id}: {issued.token}")


@app.command("list")
def list_(ctx: typer.Context,
          status: Annotated[str | None, typer.Option(help="open|contained|closed")] = None) -> None:
    """Every incident, newest first."""
    for inc in _run(ctx, lambda gov: gov.register.list_incidents(status)):
        d = inc.to_dict()
        typer.echo(f"{d['id']}  {d['status']:<9} {d['hours_left']:>8} h left  {d['title']}")


@app.command()
def show(ctx: typer.Context, incident: IdArg) -> None:
    """One incident with its deadline, impact and open tasks."""
    _show(ctx, _run(ctx, lambda gov: gov.register.get(incident)))


@app.command()
def measure(ctx: typer.Context, incident: IdArg, text: str) -> None:
    """Record a measure taken or proposed."""
    _show(ctx, _run(ctx, lambda gov: gov.register.add_measure(incident, text, ACTOR)))


@app.command()
def done(ctx: typer.Context, incident: IdArg, task: str) -> None:
    """Mark a task as done."""
    _show(ctx, _run(ctx, lambda gov: gov.register.complete_task(incident, task, ACTOR)))


@app.command()
def risk(ctx: typer.Context, incident: IdArg,
         level: Literal["unlikely", "risk", "high"]) -> None:
    """Record the risk assessment."""
    _show(ctx, _run(ctx, lambda gov: gov.register.assess_risk(incident, level, ACTOR)))


@app.command()
def notify(
    ctx: typer.Context, incident: IdArg, target: Literal["authority", "subjects"],
    status: Literal["notified", "not_required", "pending"] = "notified",
    reference: Annotated[str | None, typer.Option(help="AEPD registry number.")] = None,
) -> None:
    """Record a notification to the authority or the data subjects."""
    _show(ctx, _run(ctx, lambda gov: gov.register.record_notification(
        incident, target, status, ACTOR, reference=reference)))


@app.command()
def close(ctx: typer.Context, incident: IdArg) -> None:
    """Close the incident."""
    _show(ctx, _run(ctx, lambda gov: gov.register.close(incident, ACTOR)))


@app.command()
def refresh(ctx: typer.Context, incident: IdArg) -> None:
    """Recompute the impact from the audit trail."""
    _show(ctx, _run(ctx, lambda gov: gov.register.refresh_impact(incident, ACTOR)))


@app.command()
def draft(
    ctx: typer.Context, incident: IdArg,
    kind: Annotated[Literal["aepd", "subjects"], typer.Argument()] = "aepd",
    fmt: Annotated[Literal["md", "html"], typer.Option("--format", "-f")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Draft the AEPD notification or the data-subject notice (Spanish)."""
    from resguardo.governance.incident_docs import aepd_notification, subject_notice

    async def action(gov: Governance) -> str:
        inc = await gov.register.get(incident)
        doc = (aepd_notification if kind == "aepd" else subject_notice)(inc, gov.policy)
        return doc.to_markdown() if fmt == "md" else doc.to_html()

    text = _run(ctx, action)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@app.command()
def alerts(ctx: typer.Context) -> None:
    """Raise any deadline alerts that are due now (for cron, if the server is not running)."""
    for a in _run(ctx, lambda gov: gov.deadlines.tick()):
        typer.echo(f"{a.incident}: {a.level} ({a.mark_hours} h mark, "
                   f"{'delivered' if a.delivered else 'webhook failed'})")
