"""``resguardo rights``: data-subject requests (Art. 15-20) and legal holds, from the shell."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from resguardo.cli.vault_cmd import emit, operator, pairs, run_async
from resguardo.errors import InputError
from resguardo.rights.erasure import erase as erase_request
from resguardo.rights.fulfil import export_subject, rectify_record
from resguardo.vault.wiring import VaultStack

__all__ = ["app"]

app = typer.Typer(help="Data-subject rights requests and legal holds.", no_args_is_help=True)
holds = typer.Typer(help="Legal holds: stop erasure and retention, with a reason.",
                    no_args_is_help=True)
app.add_typer(holds, name="hold")

Env = Annotated[str, typer.Option("--env", help="Environment: live or test.")]
By = Annotated[str, typer.Option("--by", help="kind=value of one identifier, e.g. email=…")]
Reason = Annotated[str, typer.Option("--reason", help="Recorded with the step.")]


@app.command("open")
def open_(ctx: typer.Context, kind: str, by: By, env: Env = "live") -> None:
    """Open a request: access, rectification, erasure or portability."""
    ((id_kind, value),) = pairs([by], "--by").items()

    async def work(stack: VaultStack) -> dict[str, Any]:
        req = await stack.rights.open(kind, id_kind, value, environment=env, actor=operator())
        return req.to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("verify")
def verify(
    ctx: typer.Context, request_id: str,
    method: Annotated[str, typer.Option("--method", help="How identity was checked.")],
) -> None:
    """Record the identity verification (needed before any answer)."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        return (await stack.rights.verify(request_id, method=method, actor=operator())).to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("extend")
def extend(ctx: typer.Context, request_id: str, reason: Reason) -> None:
    """Extend the deadline by two months (once)."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        return (await stack.rights.extend(request_id, reason=reason, actor=operator())).to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("reject")
def reject(ctx: typer.Context, request_id: str, reason: Reason) -> None:
    """Close a request without acting, with the reason."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        return (await stack.rights.reject(request_id, reason=reason, actor=operator())).to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("list")
def list_(ctx: typer.Context, open_only: Annotated[bool, typer.Option("--open")] = False) -> None:
    """Requests by deadline, soonest first."""

    async def work(stack: VaultStack) -> list[dict[str, Any]]:
        return [r.to_dict() for r in await stack.rights.find(open_only=open_only)]

    emit(ctx, run_async(ctx, work))


@app.command("show")
def show(ctx: typer.Context, request_id: str) -> None:
    """One request."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        return (await stack.rights.get(request_id)).to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("export")
def export(
    ctx: typer.Context, request_id: str,
    out: Annotated[Path, typer.Option("--out", help="Directory for the JSON and HTML files.")],
) -> None:
    """Write the access / portability package as JSON and HTML (files are 0600)."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        package = await export_subject(stack.rights, request_id, actor=operator())
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = []
        for name, payload in ((f"{request_id}.json", package.json_bytes),
                              (f"{request_id}.html", package.html.encode())):
            path = out / name
            # Personal data on disk: readable by the operator only.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            written.append(str(path))
        return {"files": written, "records": len(package.data["records"])}

    emit(ctx, run_async(ctx, work))


@app.command("rectify")
def rectify(
    ctx: typer.Context, request_id: str, record_id: str,
    field: Annotated[list[str], typer.Option("--field", help="name=value")],
) -> None:
    """Correct fields of one of the subject's records."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        record = await rectify_record(stack.rights, request_id, record_id=record_id,
                                      fields=pairs(field, "--field"), actor=operator())
        return {"id": record.id, "updated_at": record.updated_at.isoformat()}

    emit(ctx, run_async(ctx, work))


@app.command("close")
def close(
    ctx: typer.Context, request_id: str,
    outcome: Annotated[str, typer.Option("--outcome")] = "completed",
) -> None:
    """Mark a request answered."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        req = await stack.rights.close(request_id, actor=operator(), outcome=outcome)
        return req.to_dict()

    emit(ctx, run_async(ctx, work))


@app.command("erase")
def erase(ctx: typer.Context, request_id: str) -> None:
    """Block the subject's data now; it is shredded when the blocking period ends."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        return (await erase_request(stack.rights, request_id, actor=operator())).to_dict()

    emit(ctx, run_async(ctx, work))


@holds.command("place")
def hold_place(
    ctx: typer.Context, reason: Reason,
    by: Annotated[str | None, typer.Option("--by", help="kind=value of the subject")] = None,
    collection: Annotated[str | None, typer.Option("--collection")] = None,
    env: Env = "live",
) -> None:
    """Hold one subject (--by) or one collection (--collection)."""
    who = pairs([by], "--by") if by else {}

    async def work(stack: VaultStack) -> dict[str, Any]:
        subject_id = None
        if who:
            ((kind, value),) = who.items()
            subject_id = await stack.vault.find_subject(env, kind, value)
            if subject_id is None:
                raise InputError("No subject has this identifier.", code="subject_unknown")
        hold_id = await stack.holds.place(
            environment=env, reason=reason, actor=operator(), subject_id=subject_id,
            collection=collection,
            subject_hash=stack.vault.subjects.subject_hash(subject_id) if subject_id else None,
        )
        return {"id": hold_id}

    emit(ctx, run_async(ctx, work))


@holds.command("release")
def hold_release(ctx: typer.Context, hold_id: str) -> None:
    """End a hold."""

    async def work(stack: VaultStack) -> dict[str, Any]:
        await stack.holds.release(hold_id, actor=operator())
        return {"released": hold_id}

    emit(ctx, run_async(ctx, work))


@holds.command("list")
def hold_list(ctx: typer.Context) -> None:
    """Holds in force."""

    async def work(stack: VaultStack) -> list[dict[str, Any]]:
        return [{"id": h.id, "environment": h.environment, "collection": h.collection,
                 "scope": "subject" if h.subject_id else "collection", "reason": h.reason,
                 "placed_by": h.placed_by, "placed_at": h.placed_at.isoformat()}
                for h in await stack.holds.active()]

    emit(ctx, run_async(ctx, work))
