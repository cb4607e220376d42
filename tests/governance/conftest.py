"""Fixtures for governance tests: a known policy, a seeded audit history, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from gov_helpers import Receiver, gov_policy, seeded_events

from resguardo.policy.schema import Policy
from resguardo.testing import MemoryAuditSink


@pytest.fixture
def policy() -> Policy:
    """The governance test policy."""
    return gov_policy()


@pytest.fixture
def history() -> MemoryAuditSink:
    """An in-memory audit sink pre-filled with the seeded history."""
    sink = MemoryAuditSink()
    sink.events.extend(seeded_events())
    return sink


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A loopback webhook receiver on an ephemeral port."""
    rec = Receiver()

    async def hook(request: web.Request) -> web.Response:
        rec.bodies.append(await request.json())
        return web.Response(status=rec.status)

    app = web.Application()
    app.router.add_post("/hook/{token}", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook/resume-123"
    try:
        yield rec
    finally:
        await runner.cleanup()
