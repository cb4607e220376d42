"""Time as a dependency: everything that expires or counts asks a ``Clock``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol, overload

__all__ = ["Clock", "SystemClock", "as_utc", "utcnow"]


class Clock(Protocol):
    """Source of the current time, injected so tests can freeze it."""

    def now(self) -> datetime:
        """Aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, for durations."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def utcnow() -> datetime:
    """Aware UTC now, for defaults where no clock is threaded through."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A naive datetime read as UTC (SQLite and CLI options drop the offset); others unchanged."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
