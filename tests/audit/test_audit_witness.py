"""Checkpoints reach their witnesses: an atomic file and a webhook on a real loopback server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resguardo.audit.events import AuditEvent
from resguardo.audit.log import DbAuditLog
from resguardo.audit.signing import Checkpoint, load_public_key, load_signing_key, verify_signature
from resguardo.audit.witness import CheckpointScheduler
from resguardo.errors import UpstreamError
from resguardo.monitor.webhook import AiohttpWebhookTransport
from resguardo.store.db import Database
from resguardo.testing import FrozenClock


async def _server(status: int, received: list[Any]) -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/witness", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/witness"


async def test_scheduler_exports_to_file_and_webhook(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """One run signs the head, writes the witness file and POSTs the same checkpoint."""
    key = Ed25519PrivateKey.generate()
    log = DbAuditLog(sqlite_database, clock, key)
    await log.record(AuditEvent("t", "ok"))
    received: list[Any] = []
    runner, url = await _server(200, received)
    try:
        sched = CheckpointScheduler(log, 3600, path=tmp_path / "w" / "cp.json", url=url,
                                    transport=AiohttpWebhookTransport())
        cp = await sched.run_once()
    finally:
        await runner.cleanup()
        await log.aclose()
    from_file = Checkpoint.load(tmp_path / "w" / "cp.json")
    from_hook = Checkpoint.from_json(received[0])
    assert from_file == from_hook == cp and cp.seq == 1
    assert verify_signature(key.public_key(), cp.signature, cp.message())


async def test_refusing_witness_raises_without_echoing_url(tmp_path: Path) -> None:
    """A non-2xx answer is an UpstreamError whose message does not contain the URL."""
    received: list[Any] = []
    runner, url = await _server(500, received)
    try:
        with pytest.raises(UpstreamError) as info:
            await AiohttpWebhookTransport().post_json(url, {"text": "x"})
    finally:
        await runner.cleanup()
    assert url not in str(info.value) and info.value.upstream_status == 500


def test_signing_key_file_is_private_and_reloads(tmp_path: Path) -> None:
    """The key file is created 0600 with a public key beside it, and loads back the same key."""
    path = tmp_path / "audit_signing.pem"
    key = load_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_signing_key(path, create=False)
    assert again.public_key() == key.public_key() == load_public_key(path.with_suffix(".pub"))
