"""Freeze an audit range as breach evidence: an export, its digest and a signed checkpoint.

The export holds sealed records (categories, counts, keyed hashes: no raw values) with
their chain hashes; the checkpoint signs the log head at freezing time, so anyone can later
show that the exported range is the one the chain held then.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from resguardo.store.db import Database

__all__ = ["AuditEvidenceFreezer", "CheckpointSource", "EvidenceFreezer"]


class EvidenceFreezer(Protocol):
    """Preserves the audit range of an incident; returns a JSON-ready description."""

    async def freeze(
        self, incident_id: str, since: datetime | None, until: datetime | None
    ) -> dict[str, Any]: ...


class _Checkpoint(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class CheckpointSource(Protocol):
    """What ``DbAuditLog`` offers: a signed checkpoint of the current head."""

    async def checkpoint(self) -> Any: ...


class AuditEvidenceFreezer:
    """Exports the range from the audit tables, hashes it and signs the head."""

    def __init__(self, db: Database, checkpoints: CheckpointSource | None = None,
                 directory: Path | None = None) -> None:
        self.db = db
        self.checkpoints = checkpoints
        self.directory = directory

    async def freeze(
        self, incident_id: str, since: datetime | None, until: datetime | None
    ) -> dict[str, Any]:
        """Export ``[since, until)``; the file (0600) goes to ``directory`` when configured."""
        from resguardo.audit.query import AuditQuery, iter_events, to_jsonl

        records = [r async for r in iter_events(self.db, AuditQuery(since=since, until=until))]
        blob = to_jsonl(records)
        out: dict[str, Any] = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "events": len(records),
            "first_seq": records[0]["seq"] if records else None,
            "last_seq": records[-1]["seq"] if records else None,
            "last_hash": records[-1]["hash"] if records else None,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "checkpoint": None,
            "file": None,
        }
        if self.checkpoints is not None:
            try:
                cp = await self.checkpoints.checkpoint()
                out["checkpoint"] = cp.to_json()
            except Exception as exc:  # no signing key configured: keep the digest only
                out["checkpoint_error"] = type(exc).__name__
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.directory / f"{incident_id}-audit.jsonl"
            # 0600: the export is evidence; nobody else on the host needs to read it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            out["file"] = str(path)
        return out
