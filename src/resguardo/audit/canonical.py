"""The sealed form of an event: canonical JSON bytes, and the chain hash over them.

``hash_n = SHA-256(hash_{n-1} || canonical_n)`` with ``hash_0`` = 32 zero bytes.
The canonical bytes are a compact JSON array in the fixed order of ``FIELDS`` (keys
inside ``data`` sorted), stored verbatim so verification never re-serializes. The
fixed order lets the verifier check the indexed columns by rebuilding only the
array's first eight elements and comparing a prefix, without parsing the JSON.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from resguardo.audit.events import AuditEvent

__all__ = [
    "FIELDS",
    "FORMAT_VERSION",
    "GENESIS",
    "categories_of",
    "chain_hash",
    "decode",
    "format_at",
    "parse_at",
    "seal",
    "source_network",
]

FORMAT_VERSION = 1
FIELDS = (
    "v", "seq", "at", "kind", "outcome", "actor", "workflow", "categories",
    "environment", "source_net", "source_ip_hash", "subjects", "data",
)
GENESIS = bytes(32)
_SORT = orjson.OPT_SORT_KEYS


def format_at(at: datetime) -> str:
    """UTC ISO 8601 with microseconds and ``+00:00``: the one textual form in sealed records."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def parse_at(text: str) -> datetime:
    """Inverse of ``format_at``."""
    return datetime.fromisoformat(text)


def source_network(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) around an address: enough for anomaly rules, not a person."""
    return _network(ip) if ip else None


@functools.lru_cache(maxsize=4096)
def _network(ip: str) -> str:
    # Cached: the same few client addresses repeat, and ipaddress parsing is slow.
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "invalid"
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


def categories_of(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Category ids named by an event's ``data["categories"]`` (a mapping of counts or a list)."""
    raw = data.get("categories")
    if isinstance(raw, Mapping):
        return tuple(sorted(str(k) for k in raw))
    if isinstance(raw, list | tuple):
        return tuple(sorted(str(k) for k in raw))
    return ()


def seal(
    seq: int,
    at: datetime,
    event: AuditEvent,
    *,
    source_ip_hash: str | None = None,
) -> bytes:
    """Canonical bytes of ``event`` at position ``seq`` (the raw source IP is never sealed)."""
    record = [
        FORMAT_VERSION,
        seq,
        format_at(at),
        event.kind,
        event.outcome,
        event.actor,
        event.workflow,
        list(categories_of(event.data)),
        event.environment,
        source_network(event.source_ip),
        source_ip_hash,
        sorted(event.subject_hashes),
        dict(event.data),
    ]
    return orjson.dumps(record, option=_SORT)


def chain_hash(prev: bytes, canonical: bytes) -> bytes:
    """The next link: SHA-256 over the previous hash and this record's canonical bytes."""
    return hashlib.sha256(prev + canonical).digest()


def decode(canonical: bytes) -> dict[str, Any]:
    """The record a sealed event holds, as a mapping from ``FIELDS`` names."""
    values = orjson.loads(canonical)
    if not isinstance(values, list) or len(values) != len(FIELDS):
        raise ValueError("not a sealed audit record")
    return dict(zip(FIELDS, values, strict=True))
