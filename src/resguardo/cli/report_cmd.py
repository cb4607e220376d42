"""``resguardo report``: records of processing, data map, DPIA screening, transfers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer

from resguardo.cli.output import exit_on_error
from resguardo.cli.state import state_of
from resguardo.clock import SystemClock
from resguardo.governance.datamap import build_datamap, render_svg
from resguardo.governance.observed import DbAuditReader, Observations, observe
from resguardo.governance.render import Format, render_ropa
from resguardo.governance.ropa import build_ropa
from resguardo.governance.transfers import international_transfers
from resguardo.policy.schema import Policy
from resguardo.store.db import Database

__all__ = ["app"]

app = typer.Typer(help="GDPR reports from the policy and the audit trail.", no_args_is_help=True)

Days = Annotated[int, typer.Option("--days", min=0,
                                   help="Audit history to observe, in days (0: none).")]
Out = Annotated[Path | None, typer.Option("--output", "-o", help="Write here, not stdout.")]


def _load(ctx: typer.Context, days: int) -> tuple[Policy, Observations | None]:
    from resguardo.bootstrap import load_policy_file

    settings = state_of(ctx).settings
    policy = load_policy_file(settings.policy_path)
    if days == 0:
        return policy, None
    until = SystemClock().now()

    async def go() -> Observations:
        db = Database(settings.effective_database_url)
        try:
            return await observe(DbAuditReader(db), until - timedelta(days=days), until)
        finally:
            await db.dispose()

    return policy, asyncio.run(go())


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


def _guard(ctx: typer.Context, days: int) -> tuple[Policy, Observations | None]:
    with exit_on_error():
        return _load(ctx, days)


@app.command()
def ropa(
    ctx: typer.Context,
    fmt: Annotated[Literal["html", "md", "csv", "json"], typer.Option(
        "--format", "-f", help="html (printable), md, csv or json.")] = "html",
    output: Out = None,
    days: Days = 90,
) -> None:
    """Records of processing activities (Art. 30), with drift from the audit trail."""
    policy, obs = _guard(ctx, days)
    report = build_ropa(policy, obs, SystemClock().now())
    chosen: Format = fmt
    datamap = build_datamap(policy, obs) if chosen in ("html", "json") else None
    _emit(render_ropa(report, chosen, datamap), output)
    if report.drift:
        typer.echo(f"{len(report.drift)} drift finding(s): see the report", err=True)


@app.command()
def datamap(
    ctx: typer.Context,
    fmt: Annotated[Literal["svg", "json"], typer.Option("--format", "-f")] = "svg",
    output: Out = None,
    days: Days = 90,
) -> None:
    """The data map: workflows → categories → providers and vault collections."""
    policy, obs = _guard(ctx, days)
    m = build_datamap(policy, obs)
    text = render_svg(m, f"Data map: {policy.controller.name}") + "\n" if fmt == "svg" \
        else json.dumps(m.to_dict(), indent=2, ensure_ascii=False) + "\n"
    _emit(text, output)


@app.command()
def dpia(
    ctx: typer.Context,
    days: Days = 90,
    json_flag: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which workflows need a DPIA (WP248 / AEPD criteria) and why; exit 1 if one is missing."""
    from resguardo.governance.dpia import assess_policy

    policy, obs = _guard(ctx, days)
    verdicts = assess_policy(policy, obs)
    if json_flag or state_of(ctx).json_output:
        typer.echo(json.dumps([v.to_dict() for v in verdicts], indent=2, ensure_ascii=False))
    else:
        for v in verdicts:
            state = ("REQUIRED, MISSING" if v.missing else f"required ({v.dpia})" if v.required
                     else "not required")
            typer.echo(f"{v.workflow}: {state}")
            for m in v.mandatory:
                typer.echo(f"  ! {m}")
            for h in v.hits:
                typer.echo(f"  - {h.criterion}: {h.reason} [{h.source}]")
    raise typer.Exit(1 if any(v.missing for v in verdicts) else 0)


@app.command()
def transfers(
    ctx: typer.Context,
    days: Days = 90,
    json_flag: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Providers outside the EEA, their transfer mechanism and the personal data they got."""
    policy, obs = _guard(ctx, days)
    found = international_transfers(policy, obs)
    if json_flag or state_of(ctx).json_output:
        typer.echo(json.dumps([t.to_dict() for t in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo("No provider outside the EEA.")
    for t in found:
        d = t.to_dict()
        flag = "  UNPROTECTED" if t.unprotected else ""
        typer.echo(f"{t.provider} ({t.country}): {d['mechanism_label']}{flag}")
        typer.echo(f"  may receive: {', '.join(t.allowed_categories) or '-'}")
        received = ", ".join(f"{c} ({n})" for c, n in sorted(t.received.items()))
        typer.echo(f"  received:    {received or '-'}")
