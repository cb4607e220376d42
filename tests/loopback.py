"""Real servers for tests on 127.0.0.1 ephemeral ports: a free port, a webhook receiver, uvicorn.

Importable from any test as ``loopback`` (tests/ is on sys.path through tests/conftest.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aiohttp import web

__all__ = ["Receiver", "free_port", "serve_in_thread", "webhook_receiver"]


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A real aiohttp server on 127.0.0.1 recording the JSON bodies POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[Any] = []
        self.status = status  # the answer to every POST; a test may change it between calls
        self.url = ""


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``app`` served by aiohttp on an ephemeral loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def webhook_receiver(
    route: str, path: str | None = None, *, status: int = 200
) -> AsyncIterator[Receiver]:
    """A receiver for POSTs to ``route``; its ``url`` ends in ``path`` (default: ``route``)."""
    rec = Receiver(status)

    async def handle(request: web.Request) -> web.Response:
        rec.bodies.append(await request.json())
        return web.Response(status=rec.status)

    app = web.Application()
    app.router.add_post(route, handle)
    async with serving(app) as base:
        rec.url = f"{base}{path or route}"
        yield rec


@contextmanager
def serve_in_thread(app: Any, *, timeout: float = 15, **config: Any) -> Iterator[int]:
    """``app`` under uvicorn on an ephemeral loopback port, in a thread with its own loop.

    Yields the port once the server has started; ``config`` goes to ``uvicorn.Config``.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
        sock.close()
