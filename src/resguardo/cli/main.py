"""The ``resguardo`` command: the root loads settings once; sub-commands live in *_cmd modules."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Annotated

import typer

from resguardo import __version__
from resguardo.cli.state import CliState
from resguardo.settings import Settings

__all__ = ["app", "run"]

app = typer.Typer(
    name="resguardo",
    help="Data-protection layer between your AI automations and the models.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals can hold personal data or secrets
)

# (module, command group name, help) for each area's sub-app; missing modules are skipped
# so a partial install still has a working CLI.
SUB_APPS: tuple[tuple[str, str], ...] = (
    ("resguardo.cli.db_cmd", "db"),
    ("resguardo.cli.policy_cmd", "policy"),
    ("resguardo.cli.kek_cmd", "kek"),
    ("resguardo.cli.keys_cmd", "keys"),
    ("resguardo.cli.admin_cmd", "admin"),
    ("resguardo.cli.audit_cmd", "audit"),
    ("resguardo.cli.vault_cmd", "vault"),
    ("resguardo.cli.rights_cmd", "rights"),
    ("resguardo.cli.retention_cmd", "retention"),
    ("resguardo.cli.scan_cmd", "scan"),
    ("resguardo.cli.synth_cmd", "synth"),
    ("resguardo.cli.eval_cmd", "eval"),
    ("resguardo.cli.anonymize_cmd", "anonymize"),
    ("resguardo.cli.report_cmd", "report"),
    ("resguardo.cli.incident_cmd", "incident"),
    ("resguardo.cli.review_cmd", "review"),
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"resguardo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="RESGUARDO_DATA_DIR", help="Where state lives."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable output where supported.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Resguardo: detect, minimize and pseudonymize personal data before it reaches a model."""
    env = dict(os.environ)
    if data_dir is not None:
        # The derived paths (policy, KEK file, SQLite file) move with an explicit --data-dir.
        env["RESGUARDO_DATA_DIR"] = str(data_dir)
    ctx.obj = CliState(settings=Settings.from_env(env), json_output=json_output)


def _mount() -> None:
    from resguardo.cli import serve_cmd

    app.command("init")(serve_cmd.init)
    app.command("serve")(serve_cmd.serve)
    for module_name, name in SUB_APPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        sub = getattr(module, "app", None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)
        elif callable(getattr(module, name, None)):
            app.command(name)(getattr(module, name))


def run() -> None:
    """Entry point of the console script."""
    _mount()
    app()
