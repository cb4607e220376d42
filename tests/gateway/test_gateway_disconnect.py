"""A client that goes away mid-stream cancels the upstream call (no orphaned generation)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from aiohttp import web

from assembled import assembled, prepared
from loopback import serve_in_thread, serving
from resguardo.bootstrap import build_services
from resguardo.http.app import create_app


class SlowStream:
    """An upstream that streams a chunk every 50 ms for 10 s, noting when its reader leaves."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.abandoned = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.started.set()
        try:
            for i in range(200):
                chunk = {"id": "up", "object": "chat.completion.chunk", "created": 1,
                         "model": "m", "choices": [{"index": 0, "finish_reason": None,
                                                    "delta": {"content": f"palabra{i} "}}]}
                await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
                await asyncio.sleep(0.05)
        except (ConnectionResetError, asyncio.CancelledError):
            self.abandoned.set()
            raise
        return response


@pytest.fixture
async def upstream() -> AsyncIterator[SlowStream]:
    slow = SlowStream()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", slow.handle)
    async with serving(app) as base:
        slow.url = f"{base}/v1"
        yield slow


POLICY = """
version: 1
controller: {{name: "Acme S.L.", contact: "dpo@acme.test"}}
providers:
  - {{id: eu, adapter: openai-compatible, base_url: "{url}", tier: enterprise,
      trains_on_data: false, country: ES, models: [m], max_retries: 0}}
workflows:
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal]
    providers: [eu]
    retention_days: 30
"""


async def test_client_disconnect_mid_stream_cancels_the_upstream_call(
    upstream: SlowStream, tmp_path: Path
) -> None:
    """The gateway stops reading from the provider as soon as its own client hangs up."""
    settings = await prepared(tmp_path, POLICY.format(url=upstream.url))
    async with assembled(settings) as (admin_side, _app):
        assert admin_side.auth is not None
        key = (await admin_side.auth.keys.create("triage", "live", name="t", actor="t")).token
    # The served process gets its own services: uvicorn runs them in its thread's loop.
    app = create_app(build_services(settings, env={}))
    with serve_in_thread(app) as port:
        body = {"model": "m", "stream": True,
                "messages": [{"role": "user", "content": "cuéntame algo"}]}
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
            client.stream("POST", "/v1/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {key}"}) as response,
        ):
            assert response.status_code == 200
            async for _chunk in response.aiter_bytes():
                break  # one chunk, then hang up
        await asyncio.wait_for(upstream.abandoned.wait(), timeout=5)
