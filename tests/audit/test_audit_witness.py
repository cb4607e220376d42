"""Checkpoints reach their witnesses: an atomic file and a webhook on a real loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loopback import webhook_receiver
from resguardo.audit.events import AuditEvent
from resguardo.audit.log import DbAuditLog
from resguardo.audit.signing import Checkpoint, load_public_key, load_signing_key, verify_signature
from resguardo.audit.witness import CheckpointScheduler
from resguardo.errors import UpstreamError
from resguardo.monitor.webhook import AiohttpWebhookTransport
from resguardo.store.db import Database
from resguardo.testing import FrozenClock


async def test_scheduler_exports_to_file_and_webhook(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """One run signs the head, writes the witness file and POSTs the same checkpoint."""
    key = Ed25519PrivateKey.generate()
    log = DbAuditLog(sqlite_database, clock, key)
    await log.record(AuditEvent("t", "ok"))
    try:
        async with webhook_receiver("/witness") as witness:
            sched = CheckpointScheduler(log, 3600, path=tmp_path / "w" / "cp.json",
                                        url=witness.url, transport=AiohttpWebhookTransport())
            cp = await sched.run_once()
    finally:
        await log.aclose()
    from_file = Checkpoint.load(tmp_path / "w" / "cp.json")
    from_hook = Checkpoint.from_json(witness.bodies[0])
    assert from_file == from_hook == cp and cp.seq == 1
    assert verify_signature(key.public_key(), cp.signature, cp.message())


async def test_refusing_witness_raises_without_echoing_url(tmp_path: Path) -> None:
    """A non-2xx answer is an UpstreamError whose message does not contain the URL."""
    async with webhook_receiver("/witness", status=500) as witness:
        with pytest.raises(UpstreamError) as info:
            await AiohttpWebhookTransport().post_json(witness.url, {"text": "x"})
    assert witness.url not in str(info.value) and info.value.upstream_status == 500


def test_signing_key_file_is_private_and_reloads(tmp_path: Path) -> None:
    """The key file is created 0600 with a public key beside it, and loads back the same key."""
    path = tmp_path / "audit_signing.pem"
    key = load_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_signing_key(path, create=False)
    assert again.public_key() == key.public_key() == load_public_key(path.with_suffix(".pub"))
