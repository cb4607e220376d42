"""``resguardo policy``: check the policy file, show its data flows, explain one workflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from resguardo.cli.state import state_of
from resguardo.errors import PolicyError
from resguardo.policy.lint import Violation, lint_policy
from resguardo.policy.loader import LoadedPolicy, PolicyIssue, check_policy_text, load_policy
from resguardo.policy.routing import evaluate_route
from resguardo.policy.schema import Environment

__all__ = ["app"]

app = typer.Typer(help="Check, show and explain the policy file (resguardo.yaml).",
                  no_args_is_help=True)

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Policy file; defaults to the configured policy path.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
EnvOpt = Annotated[Environment, typer.Option("--environment", "-e", help="Key environment.")]


def _console() -> Console:
    # soft_wrap keeps "file:line" on one line so editors and grep can follow it.
    return Console(soft_wrap=True, highlight=False)


def _resolve(ctx: typer.Context, file: Path | None) -> Path:
    return file if file is not None else state_of(ctx).settings.policy_path


def _wants_json(ctx: typer.Context, flag: bool) -> bool:
    return flag or state_of(ctx).json_output


def _issue_as_violation(issue: PolicyIssue) -> Violation:
    return Violation(rule="schema", severity="error", file=issue.file, line=issue.line,
                     path=issue.path, message=issue.message)


def _read(path: Path) -> tuple[LoadedPolicy | None, list[Violation]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        return None, [Violation("unreadable", "error", str(path), None, "(root)",
                                f"cannot read the policy file ({reason})")]
    loaded, issues = check_policy_text(text, filename=str(path))
    if loaded is None:
        return None, [_issue_as_violation(i) for i in issues]
    return LoadedPolicy(loaded.policy, path, loaded.filename, loaded.source_map), []


def _print_group(console: Console, title: str, style: str, items: list[Violation]) -> None:
    if not items:
        return
    console.print(f"[bold {style}]{title} ({len(items)})[/]")
    for v in items:
        where = f"{v.file}:{v.line}" if v.line else v.file
        article = f" ({v.article})" if v.article else ""
        console.print(f"  [bold]{escape(where)}[/]  {escape(v.path)}  "
                      f"[{style}]\\[{escape(v.rule)}][/]{escape(article)}")
        console.print(f"    {escape(v.message)}")


@app.command()
def check(
    ctx: typer.Context,
    file: FileArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    json_flag: JsonOpt = False,
) -> None:
    """Lint the policy; exit 1 on any error (or warning with --strict)."""
    path = _resolve(ctx, file)
    loaded, violations = _read(path)
    if loaded is not None:
        violations = lint_policy(loaded)
    errors = [v for v in violations if v.severity == "error"]
    warnings = [v for v in violations if v.severity == "warning"]
    failed = bool(errors) or (strict and bool(warnings))
    if _wants_json(ctx, json_flag):
        typer.echo(json.dumps([v.to_dict() for v in violations], indent=2, ensure_ascii=False))
        raise typer.Exit(1 if failed else 0)
    console = _console()
    if loaded is None:
        console.print(f"[bold red]{escape(str(path))}: the file is invalid[/]")
    _print_group(console, "Errors", "red", errors)
    _print_group(console, "Warnings", "yellow", warnings)
    if not violations:
        p = loaded.policy if loaded else None
        counts = f" ({len(p.workflows)} workflows, {len(p.providers)} providers)" if p else ""
        console.print(f"[green]✓[/] {escape(str(path))}: no violations{counts}")
    else:
        console.print(f"{escape(str(path))}: {len(errors)} error(s), {len(warnings)} warning(s)")
    raise typer.Exit(1 if failed else 0)


def _load_or_exit(path: Path) -> LoadedPolicy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        console = Console(stderr=True, soft_wrap=True, highlight=False)
        for line in exc.issues or [exc.message]:
            console.print(escape(line))
        console.print("Run `resguardo policy check` for details.")
        raise typer.Exit(1) from None


@app.command()
def show(
    ctx: typer.Context,
    file: FileArg = None,
    environment: EnvOpt = Environment.LIVE,
    json_flag: JsonOpt = False,
) -> None:
    """Summarize each workflow: categories and the providers each may reach."""
    loaded = _load_or_exit(_resolve(ctx, file))
    p = loaded.policy
    rows: list[dict[str, Any]] = []
    for wf in p.workflows:
        for cat in wf.categories or ("(none)",):
            route = evaluate_route(p, wf, () if cat == "(none)" else (cat,), environment)
            rows.append({
                "workflow": wf.id,
                "legal_basis": wf.legal_basis.value if wf.legal_basis else None,
                "category": cat,
                "providers": [prov.id for prov in route.allowed],
                "retention_days": wf.retention_days,
            })
    if _wants_json(ctx, json_flag):
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{p.controller.name} — data flows ({environment.value})")
    for column in ("Workflow", "Legal basis", "Category", "May reach"):
        table.add_column(column)
    last = None
    for row in rows:
        first = row["workflow"] != last
        last = row["workflow"]
        table.add_row(
            escape(row["workflow"]) if first else "",
            escape(row["legal_basis"] or "MISSING") if first else "",
            escape(row["category"]),
            escape(", ".join(row["providers"])) or "[red]nowhere[/]",
        )
    _console().print(table)


@app.command()
def explain(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="Workflow id.")],
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Policy file.")] = None,
    environment: EnvOpt = Environment.LIVE,
    json_flag: JsonOpt = False,
) -> None:
    """For each category of WORKFLOW: which providers it may reach, and why others are out."""
    p = _load_or_exit(_resolve(ctx, file)).policy
    wf = p.workflow(workflow)
    if wf is None:
        known = ", ".join(w.id for w in p.workflows) or "none"
        typer.echo(f"No workflow '{workflow}' in the policy (known: {known}).", err=True)
        raise typer.Exit(1)
    report: list[dict[str, Any]] = []
    for cat in wf.categories:
        route = evaluate_route(p, wf, (cat,), environment)
        report.append({
            "category": cat,
            "allowed": [prov.id for prov in route.allowed],
            "excluded": [{"provider": ref, "code": why.code, "reason": why.message}
                         for ref, why in route.excluded],
        })
    if _wants_json(ctx, json_flag):
        typer.echo(json.dumps({"workflow": wf.id, "environment": environment.value,
                               "categories": report}, indent=2, ensure_ascii=False))
        return
    console = _console()
    basis = wf.legal_basis.value if wf.legal_basis else "MISSING"
    decision = ("no" if not wf.automated_decision
                else "yes, with human review" if wf.human_review else "yes, NO human review")
    console.print(f"[bold]{escape(wf.id)}[/] — {escape(wf.purpose)}")
    console.print(f"  legal basis: {basis}; Art. 9 condition: {wf.art9_condition or '-'}; "
                  f"DPIA: {escape(wf.dpia or '-')}; automated decision: {decision}")
    console.print(f"  providers in preference order: {escape(', '.join(wf.providers)) or '-'}"
                  f"  (environment: {environment.value})")
    for item in report:
        allowed = ", ".join(item["allowed"]) or "[red]nowhere: requests carrying it are refused[/]"
        console.print(f"\n  [bold]{escape(item['category'])}[/] → {allowed}")
        for ex in item["excluded"]:
            console.print(f"    ✗ {escape(ex['provider'])}: {escape(ex['reason'])} "
                          f"[dim]({ex['code']})[/]")
