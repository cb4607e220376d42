"""Keyed hashes of subject identifiers: find a subject's events without storing the identifier."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Protocol

__all__ = ["BlindIndex", "SubjectHasher", "normalize_identifier"]


class BlindIndex(Protocol):
    """What ``resguardo.crypto.BlindIndexer`` offers: a keyed per-kind index of a value."""

    def index(self, kind: str, normalized_value: str) -> str: ...

_DIGITS = re.compile(r"\D")


def normalize_identifier(value: str, kind: str | None = None) -> str:
    """One spelling per identifier (case, spaces, phone punctuation) so lookups match writes."""
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    if kind in ("phone", "PHONE"):
        lead = "+" if text.startswith("+") else ""
        return lead + _DIGITS.sub("", text)
    return re.sub(r"\s+", "", text) if kind in ("iban", "IBAN", "ES_DNI", "ES_NIE") else text


class SubjectHasher:
    """HMAC-SHA-256 of normalized identifiers, truncated to 128 bits of hex.

    Keyed (not a plain hash) because identifiers such as phone numbers are few enough
    to enumerate: without the key nobody can test a guess against the log. Give it the
    crypto area's ``BlindIndexer`` (preferred: its key is wrapped by the KEK) or raw key
    bytes (a 0600 key file, for deployments without the vault).
    """

    def __init__(self, key: bytes | BlindIndex) -> None:
        if isinstance(key, bytes):
            if len(key) < 32:
                raise ValueError("subject hash key must be at least 32 bytes")
            self._key = key
            self._indexer: BlindIndex | None = None
        else:
            self._key, self._indexer = b"", key

    def __call__(self, value: str, kind: str | None = None) -> str:
        """The subject hash of ``value``."""
        return self.hash(value, kind)

    def hash(self, value: str, kind: str | None = None) -> str:
        """The subject hash of ``value`` (``kind`` picks the normalization)."""
        normalized = normalize_identifier(value, kind)
        if self._indexer is not None:
            # One index kind for subjects, another for addresses: unrelated hash spaces.
            index_kind = "audit.ip" if kind == "ip" else "audit.subject"
            return self._indexer.index(index_kind, normalized)[:32]
        msg = b"resguardo-subject/v1\x00" + normalized.encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return "SubjectHasher(<key>)"
