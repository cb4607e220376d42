"""Fixtures for access-control tests: a small policy, auth services over a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from auth_helpers import make_policy

from resguardo.auth.bundle import AuthServices, build_auth_services
from resguardo.auth.passwords import Argon2Params
from resguardo.policy.schema import Policy
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink

PEPPER = b"p" * 32


@pytest.fixture
def policy() -> Policy:
    """The test policy."""
    return make_policy()


@pytest.fixture
def sink() -> MemoryAuditSink:
    """Captures access-log events."""
    return MemoryAuditSink()


def build(db: Database, policy: Policy, clock: FrozenClock, sink: MemoryAuditSink,
          **kwargs: object) -> AuthServices:
    """Auth services with cheap argon2 and in-process epochs."""
    return build_auth_services(db=db, policy=policy, clock=clock, pepper=PEPPER,
                               audit_sink=sink, argon2=Argon2Params.fast_for_tests(),
                               **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def auth(database: Database, policy: Policy, clock: FrozenClock,
               sink: MemoryAuditSink) -> AsyncIterator[AuthServices]:
    """Auth services over the parametrized database (SQLite and PostgreSQL)."""
    services = build(database, policy, clock, sink)
    yield services
    await services.authenticator.aclose()


@pytest.fixture
async def sqlite_auth(sqlite_database: Database, policy: Policy, clock: FrozenClock,
                      sink: MemoryAuditSink) -> AsyncIterator[AuthServices]:
    """Auth services over SQLite only (for HTTP and matrix tests)."""
    services = build(sqlite_database, policy, clock, sink)
    yield services
    await services.authenticator.aclose()


@pytest.fixture
def make_auth(clock: FrozenClock, sink: MemoryAuditSink):  # type: ignore[no-untyped-def]
    """Factory for extra service sets (another replica, another policy, other options)."""

    def factory(db: Database, policy: Policy, **kwargs: object) -> AuthServices:
        return build(db, policy, clock, sink, **kwargs)

    return factory


@pytest.fixture
async def http_app(sqlite_database: Database, policy: Policy, clock: FrozenClock,
                   sink: MemoryAuditSink, tmp_path: Any) -> AsyncIterator[Any]:
    """The real app with the admin router; auth serves live keys only."""
    from resguardo.http.app import create_app
    from resguardo.services import Services
    from resguardo.settings import Settings

    auth = build(sqlite_database, policy, clock, sink, environments=("live",))
    services = Services(settings=Settings(data_dir=tmp_path), policy=policy, db=sqlite_database,
                        clock=clock, auth=auth)
    app = create_app(services)
    yield app
    await auth.authenticator.aclose()
