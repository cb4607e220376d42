"""Blind indexes: keyed hashes that let the store find a value without storing it.

``BlindIndexer(key).index("email", "ana@example.com")`` is HMAC-SHA256 under a subkey
derived with HKDF for that kind, so equal values of one kind match while the same value
under two kinds (an email used as a subject id) yields unrelated hashes. The root key
is a random secret kept wrapped in ``data_keys`` (owner ``system:blind-index``), so it
survives KEK rotation: re-wrapping changes its wrapping, never its value.
"""

from __future__ import annotations

import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from resguardo.crypto.envelope import KEY_SIZE
from resguardo.errors import InputError

__all__ = ["BLIND_INDEX_INFO", "BlindIndexer"]

BLIND_INDEX_INFO = b"resguardo/blind-index/v1/"
_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


class BlindIndexer:
    """Keyed, per-kind HMAC-SHA256 of already-normalized values, as lowercase hex."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise InputError("Blind-index keys are 32 bytes.")
        self._key = key
        self._subkeys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return "BlindIndexer(<key hidden>)"

    def _subkey(self, kind: str) -> bytes:
        subkey = self._subkeys.get(kind)
        if subkey is None:
            if not _KIND.match(kind):
                raise InputError("Blind-index kinds are short lowercase identifiers.")
            # One subkey per kind: a leak of one kind's index table does not let anyone
            # test guesses against another kind's.
            info = BLIND_INDEX_INFO + kind.encode()
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
            subkey = hkdf.derive(self._key)
            self._subkeys[kind] = subkey
        return subkey

    def index(self, kind: str, normalized_value: str) -> str:
        """The blind index of ``normalized_value`` (the caller normalizes: case, spaces, …)."""
        mac = HMAC(self._subkey(kind), hashes.SHA256())
        mac.update(normalized_value.encode("utf-8"))
        return mac.finalize().hex()

    def matches(self, kind: str, normalized_value: str, candidate: str) -> bool:
        """Constant-time check that ``candidate`` is the index of ``normalized_value``."""
        return hmac.compare_digest(self.index(kind, normalized_value), candidate)
