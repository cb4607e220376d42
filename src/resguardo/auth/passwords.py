"""Admin passwords: argon2id hashes, a length rule, and timing that hides unknown users."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from resguardo.errors import InputError

__all__ = ["Argon2Params", "PasswordVault"]

MIN_LENGTH = 12
MAX_LENGTH = 256


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost; the default follows RFC 9106's second recommended option (64 MiB)."""

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 2

    @classmethod
    def fast_for_tests(cls) -> Argon2Params:
        """Cheap parameters so test suites stay quick; never use in production."""
        return cls(time_cost=1, memory_cost_kib=1024, parallelism=1)


class PasswordVault:
    """Hash and verify passwords with argon2id."""

    def __init__(self, params: Argon2Params | None = None) -> None:
        p = params or Argon2Params()
        self._hasher = PasswordHasher(time_cost=p.time_cost, memory_cost=p.memory_cost_kib,
                                      parallelism=p.parallelism, type=Type.ID)
        # Verified against when the username is unknown, so both paths cost one argon2 run.
        self._dummy = self._hasher.hash("resguardo-dummy-password")

    @staticmethod
    def check_strength(password: str) -> None:
        """Refuse passwords that are too short or absurdly long (length only, per NIST 800-63B)."""
        if len(password) < MIN_LENGTH:
            raise InputError(f"The password must have at least {MIN_LENGTH} characters.",
                             code="weak_password")
        if len(password) > MAX_LENGTH:
            raise InputError("The password is too long.", code="weak_password")

    def hash(self, password: str) -> str:
        """A new argon2id hash (salted)."""
        self.check_strength(password)
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches; a missing hash still costs one verification."""
        try:
            return self._hasher.verify(stored or self._dummy, password[:MAX_LENGTH]) and bool(
                stored
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
