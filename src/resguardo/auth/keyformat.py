"""The API key string: ``rsg_<env>_<key id>_<secret>``, parsed strictly.

The key id is public (it appears in listings and the audit trail); the secret is 160
random bits from ``secrets`` and is shown once. Both use lowercase base32, which has no
``_``, so the string splits unambiguously and survives copy-paste and URLs.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from resguardo.errors import Unauthenticated

__all__ = ["ENVIRONMENTS", "ParsedKey", "format_key", "new_key_id", "new_secret", "parse_key"]

ENVIRONMENTS = ("live", "test")
_KEY_ID_BYTES = 10  # 80 bits: unique, not secret
_SECRET_BYTES = 20  # 160 bits: above the 128-bit floor
_KEY_RE = re.compile(r"rsg_(live|test)_([a-z2-7]{16})_([a-z2-7]{32})")


@dataclass(frozen=True)
class ParsedKey:
    """The three parts of a presented key."""

    environment: str
    key_id: str
    secret: str

    def __repr__(self) -> str:
        # The secret must never reach a log through a repr.
        return f"ParsedKey(environment={self.environment!r}, key_id={self.key_id!r})"


def _b32(nbytes: int) -> str:
    return base64.b32encode(secrets.token_bytes(nbytes)).decode().rstrip("=").lower()


def new_key_id() -> str:
    """A fresh public key id."""
    return _b32(_KEY_ID_BYTES)


def new_secret() -> str:
    """A fresh 160-bit secret."""
    return _b32(_SECRET_BYTES)


def format_key(environment: str, key_id: str, secret: str) -> str:
    """The string handed to the key holder once."""
    return f"rsg_{environment}_{key_id}_{secret}"


def parse_key(token: str) -> ParsedKey:
    """Split a presented key; Unauthenticated(malformed_key) for anything else."""
    # Length check first: never run the regex over an attacker's megabyte header.
    if len(token) > 80:
        raise Unauthenticated("The API key is malformed.", code="malformed_key")
    match = _KEY_RE.fullmatch(token)
    if match is None:
        raise Unauthenticated("The API key is malformed.", code="malformed_key")
    return ParsedKey(environment=match[1], key_id=match[2], secret=match[3])
