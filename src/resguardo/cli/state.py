"""What the root command hands every sub-command: settings loaded once, output mode."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from resguardo.settings import Settings

__all__ = ["CliState", "state_of"]


@dataclass(frozen=True)
class CliState:
    settings: Settings
    json_output: bool = False


def state_of(ctx: typer.Context) -> CliState:
    """The root state, or one built from the environment when a sub-app runs alone (tests)."""
    root = ctx.find_root()
    obj = root.obj if root is not None else None
    if isinstance(obj, CliState):
        return obj
    return CliState(settings=Settings.from_env())
