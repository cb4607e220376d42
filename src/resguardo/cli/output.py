"""How a sub-command reports: its result as JSON or text, a domain error as a safe line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from resguardo.cli.state import state_of
from resguardo.errors import ResguardoError

__all__ = ["emit_result", "exit_on_error"]


def emit_result(ctx: typer.Context, data: Any, text: str) -> None:
    """Print ``data`` as indented JSON in ``--json`` mode, else the readable ``text``."""
    typer.echo(json.dumps(data, indent=2) if state_of(ctx).json_output else text)


@contextmanager
def exit_on_error(
    *, json_errors: bool = False, exit_code: int = 1, show_code: bool = True
) -> Iterator[None]:
    """Turn a domain error raised inside into one message and ``typer.Exit(exit_code)``.

    With ``json_errors`` the message is a JSON object on stdout, else a line on stderr.
    """
    try:
        yield
    except ResguardoError as exc:
        # Messages and codes are safe by contract: never a personal value or a secret.
        if json_errors:
            typer.echo(json.dumps({"error": {"code": exc.code, "message": exc.message}}))
        else:
            suffix = f" ({exc.code})" if show_code else ""
            typer.echo(f"error: {exc.message}{suffix}", err=True)
        raise typer.Exit(exit_code) from None
