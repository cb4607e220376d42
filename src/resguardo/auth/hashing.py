"""Keyed hashes for every auth secret, the TOTP seed sealer, and the server pepper.

API-key secrets, session ids, CSRF tokens, recovery codes and throttle subjects are
high-entropy (or must not be reversible), so one HMAC-SHA256 under a server pepper is
enough: a stolen database alone cannot be used to test guesses offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from resguardo.errors import ConfigError, InvalidCiphertext

__all__ = ["PEPPER_BYTES", "KeyHasher", "TotpSealer", "load_or_create_pepper"]

PEPPER_BYTES = 32


class KeyHasher:
    """HMAC-SHA256 under a server pepper, with a purpose label so hashes never cross uses."""

    def __init__(self, pepper: bytes) -> None:
        if len(pepper) < 16:
            # A short pepper would make the stored hashes guessable offline.
            raise ConfigError("The auth pepper must be at least 16 bytes.")
        self._pepper = pepper

    def digest(self, purpose: str, *parts: str) -> str:
        """Hex HMAC of the parts, length-prefixed so ("ab","c") and ("a","bc") differ."""
        mac = hmac.new(self._pepper, purpose.encode() + b"\x00", hashlib.sha256)
        for part in parts:
            raw = part.encode()
            mac.update(len(raw).to_bytes(4, "big") + raw)
        return mac.hexdigest()

    def matches(self, stored: str | None, purpose: str, *parts: str) -> bool:
        """Constant-time check of parts against a stored digest."""
        if not stored:
            # Still compute the HMAC so a missing hash costs the same time as a wrong one.
            hmac.compare_digest(self.digest(purpose, *parts), "0" * 64)
            return False
        return hmac.compare_digest(self.digest(purpose, *parts), stored)

    def derive(self, label: str) -> bytes:
        """32 bytes derived from the pepper for one named use."""
        return hmac.new(self._pepper, b"derive\x00" + label.encode(), hashlib.sha256).digest()


class TotpSealer:
    """Seals TOTP seeds at rest (they must be readable to verify codes, unlike passwords)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    @classmethod
    def from_hasher(cls, hasher: KeyHasher) -> TotpSealer:
        """A sealer whose key is derived from the same pepper."""
        return cls(hasher.derive("totp-seal-v1"))

    def seal(self, seed: str) -> str:
        """Encrypt and authenticate a seed."""
        return self._fernet.encrypt(seed.encode()).decode()

    def open(self, sealed: str) -> str:
        """Decrypt a sealed seed; every failure is the same opaque error."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError):
            raise InvalidCiphertext from None


def load_or_create_pepper(path: Path) -> bytes:
    """Read the pepper file, creating it (mode 0600) with fresh random bytes on first use."""
    if path.exists():
        raw = path.read_bytes().strip()
        try:
            pepper = base64.b64decode(raw, validate=True)
        except ValueError:
            raise ConfigError("The auth pepper file is not valid base64.") from None
        if len(pepper) < 16:
            raise ConfigError("The auth pepper file holds too few bytes.")
        return pepper
    path.parent.mkdir(parents=True, exist_ok=True)
    pepper = secrets.token_bytes(PEPPER_BYTES)
    # O_EXCL: two processes starting together must not each write a different pepper.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_pepper(path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(pepper) + b"\n")
    return pepper
