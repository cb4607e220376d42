"""Fakes shipped for tests: a frozen clock (more land here as features do)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from resguardo.audit.events import AuditEvent
from resguardo.auth.principal import Principal
from resguardo.crypto.keyprovider import MemoryKeyProvider
from resguardo.detect.types import Finding, KnownValue
from resguardo.errors import AuditWriteFailed, Unauthenticated

__all__ = [
    "FrozenClock",
    "MemoryAuditSink",
    "MemoryKeyProvider",
    "RegexDetector",
    "StaticKeyAuthenticator",
]


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, delta: timedelta | float) -> None:
        """Move forward by a timedelta or a number of seconds."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        self._mono += (when - self._now).total_seconds()
        self._now = when


_FAKE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("ES_DNI", re.compile(r"(?<![\w-])(?:\d{8}|[XYZ]\d{7})-?[A-HJ-NP-TV-Z](?![\w-])")),
    ("PHONE", re.compile(
        r"(?<![\w+])(?:\+34[ ]?)?[6789]\d{2}(?:[ ]?\d{3}[ ]?\d{3}|(?:[ ]\d{2}){3})(?!\w)"
    )),
)


class RegexDetector:
    """A small, fast stand-in for the analyzer: emails, Spanish phones, DNIs/NIEs, known values."""

    max_entity_length = 64

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls = 0

    def analyze(
        self, text: str, *, known: Sequence[KnownValue] = (), hint: str | None = None
    ) -> list[Finding]:
        """Findings sorted by start, overlaps resolved in favour of the longer one."""
        self.calls += 1
        if self.fail:
            raise RuntimeError("detector broken")
        found: list[Finding] = []
        for kv in known:
            if not kv.value:
                continue
            for m in re.finditer(re.escape(kv.value), text, re.IGNORECASE):
                found.append(Finding(m.start(), m.end(), kv.type, 1.0, "known"))
        for entity_type, pattern in _FAKE_PATTERNS:
            if entity_type == "EMAIL" and "@" not in text:
                continue
            for m in pattern.finditer(text):
                found.append(Finding(m.start(), m.end(), entity_type, 0.9, "rule"))
        if len(found) < 2:
            return found
        found.sort(key=lambda f: (f.start, -(f.end - f.start)))
        out: list[Finding] = []
        for f in found:
            if out and f.start < out[-1].end:
                continue
            out.append(f)
        return out


class StaticKeyAuthenticator:
    """Fixed bearer keys → principals, for tests and the demo."""

    def __init__(self, keys: Mapping[str, Principal]) -> None:
        self._keys = dict(keys)

    async def authenticate(self, bearer: str | None, source_ip: str | None) -> Principal:
        """The principal for a known key; Unauthenticated otherwise."""
        principal = self._keys.get(bearer or "")
        if principal is None:
            raise Unauthenticated()
        return principal


class MemoryAuditSink:
    """Keeps events in a list; ``fail=True`` makes every write fail like a broken store."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        """Store the event, or raise AuditWriteFailed when told to fail."""
        if self.fail:
            raise AuditWriteFailed()
        self.events.append(event)
