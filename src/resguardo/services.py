"""The process's long-lived parts, built once from Settings and Policy and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resguardo.clock import Clock, SystemClock
from resguardo.policy.schema import Policy
from resguardo.settings import Settings
from resguardo.store.db import Database

if TYPE_CHECKING:  # only for the annotation: auth must not load with every import of this
    from resguardo.auth.bundle import AuthServices

__all__ = ["Services"]


@dataclass
class Services:
    """Everything a request handler may need; areas add their part as a field."""

    settings: Settings
    policy: Policy
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # Filled by the app factory as the areas land (typed loosely to avoid import cycles).
    extras: dict[str, Any] = field(default_factory=dict)
    # Access control (keys, admins, sessions); built by resguardo.auth.bundle.
    auth: AuthServices | None = None
