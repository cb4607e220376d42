"""The access log: every authentication, key use and admin action, written to the audit trail.

Events carry who (key id / admin id), when (the sink's clock), from where, what and the
outcome, never a secret, password, TOTP code or session id.
"""

from __future__ import annotations

from typing import Any

from resguardo.audit.events import AuditEvent, AuditSink

__all__ = ["AccessLog"]

# Field names that must never reach an event, whatever a caller passes by mistake.
_FORBIDDEN = frozenset({"secret", "password", "token", "code", "totp", "session_id", "csrf"})


class AccessLog:
    """Thin writer over an AuditSink; a failed write propagates (callers fail closed)."""

    def __init__(self, sink: AuditSink) -> None:
        self.sink = sink

    async def record(
        self,
        kind: str,
        outcome: str,
        *,
        actor: str | None = None,
        workflow: str | None = None,
        environment: str | None = None,
        source_ip: str | None = None,
        **data: Any,
    ) -> None:
        """Write one access event (``data`` holds ids, codes and counts only)."""
        clean = {k: v for k, v in data.items() if k not in _FORBIDDEN and v is not None}
        await self.sink.record(
            AuditEvent(
                kind=kind,
                outcome=outcome,
                actor=actor,
                workflow=workflow,
                environment=environment,
                source_ip=source_ip,
                data=clean,
            )
        )
