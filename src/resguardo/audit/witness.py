"""Hand checkpoints to an outside witness: a file (atomic write) or a webhook POST."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from resguardo.audit.log import DbAuditLog
from resguardo.audit.signing import Checkpoint
from resguardo.monitor.webhook import WebhookTransport

__all__ = ["CheckpointScheduler", "post_checkpoint", "write_checkpoint"]

log = logging.getLogger("resguardo.audit")


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> None:
    """Write the checkpoint to ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(checkpoint.dumps())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


async def post_checkpoint(checkpoint: Checkpoint, url: str, transport: WebhookTransport) -> None:
    """POST the checkpoint JSON to a witness endpoint; raises UpstreamError on failure."""
    await transport.post_json(url, checkpoint.to_json())


class CheckpointScheduler:
    """Signs a checkpoint every ``interval`` seconds and hands it to the configured witnesses."""

    def __init__(
        self,
        log: DbAuditLog,
        interval: float,
        *,
        path: Path | None = None,
        url: str | None = None,
        transport: WebhookTransport | None = None,
    ) -> None:
        self.log = log
        self.interval = interval
        self.path = path
        self.url = url
        self.transport = transport
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Checkpoint:
        """Sign the current head and export it."""
        cp = await self.log.checkpoint()
        if self.path is not None:
            write_checkpoint(cp, self.path)
        if self.url and self.transport is not None:
            await post_checkpoint(cp, self.url, self.transport)
        return cp

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception as exc:
                # Keep going: a missed checkpoint is a gap in evidence, not an outage.
                log.error("audit checkpoint failed", extra={"error_class": type(exc).__name__})

    async def start(self) -> None:
        """Start the periodic task (a start-up hook)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="audit-checkpoints")

    async def stop(self) -> None:
        """Stop the task and sign one last checkpoint (a shutdown hook)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            with contextlib.suppress(Exception):
                await self.run_once()
