"""``resguardo audit``: verify the chain, sign checkpoints, query, export and prune the log."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from resguardo.cli.output import exit_on_error
from resguardo.cli.state import CliState, state_of
from resguardo.clock import as_utc
from resguardo.store.db import Database

__all__ = ["app"]

app = typer.Typer(help="Tamper-evident audit trail: verify, checkpoint, query, export, prune.",
                  no_args_is_help=True)

T = TypeVar("T")
Since = Annotated[datetime | None, typer.Option(help="Events at or after (ISO 8601, UTC).")]
Until = Annotated[datetime | None, typer.Option(help="Events before (ISO 8601, UTC).")]
Opt = Annotated[str | None, typer.Option()]
Env = Annotated[str | None, typer.Option(help="live or test.")]


def _run(ctx: typer.Context, action: Callable[[CliState, Database], Awaitable[T]]) -> T:
    state = state_of(ctx)

    async def go() -> T:
        db = Database(state.settings.effective_database_url)
        try:
            return await action(state, db)
        finally:
            await db.dispose()

    with exit_on_error(json_errors=state.json_output, exit_code=2, show_code=False):
        return asyncio.run(go())


def _log(state: CliState, db: Database) -> Any:
    from resguardo.audit.log import DbAuditLog
    from resguardo.audit.signing import load_signing_key
    from resguardo.audit.wiring import SIGNING_KEY_FILE
    from resguardo.clock import SystemClock

    key = load_signing_key(state.settings.data_dir / SIGNING_KEY_FILE, create=True)
    return DbAuditLog(db, SystemClock(), key)


@app.command()
def verify(
    ctx: typer.Context,
    checkpoint: Annotated[list[Path] | None, typer.Option(
        help="A witness's checkpoint file (repeatable).")] = None,
    public_key: Annotated[Path | None, typer.Option(
        help="PEM public key to trust (default: the local signing key's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Check the whole chain; exit 1 and say where if anything was changed."""
    from resguardo.audit.signing import Checkpoint, load_public_key, load_signing_key
    from resguardo.audit.verify import VerifyReport, verify_log
    from resguardo.audit.wiring import SIGNING_KEY_FILE

    async def action(state: CliState, db: Database) -> VerifyReport:
        external = [Checkpoint.load(p) for p in checkpoint or []]
        local = state.settings.data_dir / SIGNING_KEY_FILE
        pub = None  # no key anywhere: the chain is still checked, signatures are not
        if public_key is not None:
            pub = load_public_key(public_key)
        elif local.exists():
            pub = load_signing_key(local, create=False).public_key()
        elif local.with_suffix(".pub").exists():
            pub = load_public_key(local.with_suffix(".pub"))
        return await verify_log(db, pub, external=external)

    report = _run(ctx, action)
    if as_json or state_of(ctx).json_output:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        typer.echo(f"{report.events} events (seq {report.first_seq}..{report.last_seq}), "
                   f"{report.checkpoints_checked} checkpoints checked, "
                   f"{report.unsigned_tail} events after the latest checkpoint")
        for f in report.findings:
            where = f"seq {f.seq}" + (f"..{f.end_seq}" if f.end_seq is not None else "")
            pos = f" (stored at position {f.position})" if f.position is not None else ""
            typer.echo(f"{f.kind.upper()}: {where}{pos}: {f.detail}")
        typer.echo("OK: the log is intact." if report.ok else "FAILED: the log was tampered with.")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def checkpoint(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(help="Write the checkpoint to this file.")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST the checkpoint to this URL.")] = None,
) -> None:
    """Sign the current head and export it to a witness (file and/or webhook)."""
    from resguardo.audit.witness import post_checkpoint, write_checkpoint
    from resguardo.monitor.webhook import AiohttpWebhookTransport

    async def action(state: CliState, db: Database) -> dict[str, Any]:
        log = _log(state, db)
        cp = await log.checkpoint()
        if out is not None:
            write_checkpoint(cp, out)
        if webhook:
            await post_checkpoint(cp, webhook, AiohttpWebhookTransport())
        return dict(cp.to_json())

    typer.echo(json.dumps(_run(ctx, action), indent=2))


class SubjectKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ID = "id"
    IBAN = "iban"


# The entity type whose normalization matches what the gateway and vault hashed.
_ENTITY_OF = {SubjectKind.EMAIL: "EMAIL", SubjectKind.PHONE: "PHONE",
              SubjectKind.ID: "ES_DNI", SubjectKind.IBAN: "IBAN"}


async def _hash_subject(state: CliState, db: Database, value: str, kind: SubjectKind) -> str:
    """The audit log's keyed hash of ``value`` (needs the KEK: the key lives in the store)."""
    import os

    from resguardo.audit.hashing import SubjectHasher
    from resguardo.crypto import encryptor_from_settings

    encryptor = encryptor_from_settings(state.settings, os.environ, db)
    return SubjectHasher(await encryptor.blind_indexer()).hash(value, _ENTITY_OF[kind])


def _query(
    since: datetime | None, until: datetime | None, workflow: str | None, key: str | None,
    category: str | None, action: str | None, kind: str | None, subject_hash: str | None,
    limit: int, environment: str | None = None,
) -> Any:
    from resguardo.audit.query import AuditQuery

    return AuditQuery(since=as_utc(since), until=as_utc(until), workflow=workflow, actor=key,
                      category=category, outcome=action, kind=kind, subject_hash=subject_hash,
                      environment=environment, limit=limit)


@app.command()
def query(
    ctx: typer.Context,
    since: Since = None, until: Until = None, workflow: Opt = None,
    key: Annotated[str | None, typer.Option(help="Key id or admin id (the actor).")] = None,
    category: Opt = None,
    action: Annotated[str | None, typer.Option(help="forwarded, masked, blocked, ...")] = None,
    kind: Opt = None,
    subject_hash: Annotated[str | None, typer.Option(help="A subject's keyed hash.")] = None,
    subject: Annotated[str | None, typer.Option(
        help="A subject's identifier (email, phone, ID, IBAN): hashed here, never stored.")] = None,
    subject_kind: Annotated[SubjectKind, typer.Option(
        help="What --subject is.")] = SubjectKind.EMAIL,
    environment: Env = None,
    limit: int = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List matching events (oldest first) as a table or JSON."""
    from resguardo.audit.query import query_events

    if subject is not None and subject_hash is not None:
        raise typer.BadParameter("Give --subject or --subject-hash, not both.")

    async def run(state: CliState, db: Database) -> list[dict[str, Any]]:
        wanted = subject_hash
        if subject is not None:
            wanted = await _hash_subject(state, db, subject, subject_kind)
        q = _query(since, until, workflow, key, category, action, kind, wanted, limit,
                   environment)
        return await query_events(db, q)

    rows = _run(ctx, run)
    if as_json or state_of(ctx).json_output:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("seq", "at", "kind", "outcome", "actor", "workflow", "categories")
    for r in rows:
        table.add_row(str(r["seq"]), r["at"][:19], r["kind"], r["outcome"], r["actor"] or "",
                      r["workflow"] or "", ",".join(r["categories"]))
    Console(width=160).print(table)


@app.command()
def export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option(help="jsonl or csv")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Output file (default: stdout).")] = None,
    since: Since = None, until: Until = None, workflow: Opt = None, key: Opt = None,
    category: Opt = None, action: Opt = None, kind: Opt = None, subject_hash: Opt = None,
    environment: Env = None,
) -> None:
    """Export matching events for an auditor (JSON Lines or CSV)."""
    from resguardo.audit.query import csv_header, iter_events, to_csv, to_jsonl

    if format not in ("jsonl", "csv"):
        raise typer.BadParameter("format must be jsonl or csv")
    q = _query(since, until, workflow, key, category, action, kind, subject_hash, 1000,
               environment)

    async def run(_state: CliState, db: Database) -> int:
        sink = open(out, "wb") if out is not None else sys.stdout.buffer  # noqa: SIM115
        count = 0
        try:
            if format == "csv":
                sink.write(csv_header().encode())
            async for record in iter_events(db, q):
                sink.write(to_csv([record], header=False).encode() if format == "csv"
                           else to_jsonl([record]))
                count += 1
        finally:
            if out is not None:
                sink.close()
            else:
                sink.flush()
        return count

    count = _run(ctx, run)
    if out is not None:
        typer.echo(f"exported {count} events to {out}", err=True)


@app.command()
def prune(
    ctx: typer.Context,
    days: Annotated[int | None, typer.Option(
        help="Keep this many days (default: policy audit_retention_days).")] = None,
) -> None:
    """Delete events past audit retention, re-anchoring the chain with a signature."""
    from resguardo.audit.retention import prune_expired

    async def run(state: CliState, db: Database) -> dict[str, int]:
        keep = days
        if keep is None:
            from resguardo.bootstrap import load_policy_file

            keep = load_policy_file(state.settings.policy_path).audit_retention_days
        log = _log(state, db)
        try:
            result = await prune_expired(log, keep)
        finally:
            await log.aclose()
        return {"deleted": result.deleted, "anchor_seq": result.anchor_seq}

    typer.echo(json.dumps(_run(ctx, run)))
