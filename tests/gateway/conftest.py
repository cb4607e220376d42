"""Fixtures: a real stack on loopback (built from gateway_stack.py), one per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_stack import KEYS, Stack, Upstream, _serve_upstream, make_policy

from loopback import serve_in_thread
from resguardo.auth.principal import Principal
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink, RegexDetector, StaticKeyAuthenticator


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Upstream + gateway under a real uvicorn, once per test module."""
    from resguardo.gateway.wiring import install_gateway
    from resguardo.http.app import create_app

    up = Upstream()
    _serve_upstream(up)
    tmp: Path = tmp_path_factory.mktemp("gw")
    policy = make_policy(up.port)
    settings = Settings(data_dir=tmp, max_body_bytes=256 * 1024)
    clock = FrozenClock()
    services = Services(settings=settings, policy=policy,
                        db=Database(f"sqlite+aiosqlite:///{tmp / 'x.db'}"), clock=clock)
    audit = MemoryAuditSink()
    auth = StaticKeyAuthenticator({k: Principal(key_id=f"key_{w}", workflow_id=w,
                                                environment="live") for k, w in KEYS.items()})
    install_gateway(services, env={"UPSTREAM_KEY": "sk-upstream-secret"}, authenticator=auth,
                    audit=audit, detector=RegexDetector(), backoff=0.01)
    with serve_in_thread(create_app(services), timeout=10) as port:
        yield Stack(up, audit, clock, port)


@pytest.fixture
def gw(stack: Stack) -> Stack:
    """The module's stack with the upstream recorder and audit sink reset."""
    stack.upstream.reset()
    stack.audit.fail = False
    stack.audit.events.clear()
    return stack
