"""Environment helpers: parse names, and compare a resource's environment with a caller's."""

from __future__ import annotations

from resguardo.errors import InputError, NotFound
from resguardo.policy.schema import Environment

__all__ = ["Environment", "is_live", "parse_environment", "require_same_environment"]


def parse_environment(value: str) -> Environment:
    """``"live"`` / ``"test"`` as an Environment; InputError for anything else."""
    try:
        return Environment(value.strip().lower())
    except ValueError:
        raise InputError("Unknown environment: use live or test.",
                         code="invalid_environment") from None


def is_live(environment: str) -> bool:
    """Whether this is the live environment (anything unknown is treated as not live)."""
    return environment == Environment.LIVE.value


def require_same_environment(resource_environment: str, caller_environment: str) -> None:
    """Refuse a cross-environment access as NotFound: a test key learns nothing of live data."""
    if resource_environment != caller_environment:
        raise NotFound()
