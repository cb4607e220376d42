"""Fixtures for console tests: the real app over SQLite with audit and auth wired in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from console_helpers import start, wire  # type: ignore[import-not-found]

from resguardo.store.db import Database
from resguardo.testing import FrozenClock


@pytest.fixture
async def console(sqlite_database: Database, clock: FrozenClock,
                  tmp_path: Path) -> AsyncIterator[Any]:
    """(app, services) for the console, on the frozen clock."""
    services = wire(sqlite_database, clock, tmp_path)
    app = await start(services)
    yield app, services
    for hook in reversed(services.extras.get("shutdown", ())):
        await hook()
    assert services.auth is not None
    await services.auth.authenticator.aclose()
