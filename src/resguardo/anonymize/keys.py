"""The run secret: keyed derivations that make surrogates consistent yet irreversible.

Every surrogate is drawn from a random generator seeded with
``HMAC-SHA256(run secret, purpose || type || normalized value)``. The same value always
meets the same fake within one run (and across every file of that run), while nobody
without the secret can recompute or invert the mapping. The secret is random per run,
lives only in memory and is never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
import unicodedata

import phonenumbers

__all__ = ["RunSecret", "fold", "normalize"]

_SEPARATORS = re.compile(r"[\s.\-_/]+")
_SPACES = re.compile(r"\s+")
_NAME_TYPES = frozenset({"PERSON", "ADDRESS", "LOCATION", "HEALTH"})
_COMPACT_TYPES = frozenset({
    "ES_DNI", "ES_NIE", "ES_NIF", "ES_CIF", "NATIONAL_ID", "ES_NSS", "US_SSN", "PASSPORT",
    "IBAN", "CREDIT_CARD", "BANK_ACCOUNT", "LICENSE_PLATE", "ID",
})


def fold(text: str) -> str:
    """Lowercase, accents removed, whitespace collapsed: ``"  José  PÉREZ"`` -> ``"jose perez"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare).strip().casefold()


def normalize(entity_type: str, value: str, *, region: str = "ES") -> str:
    """The form under which two spellings of one value count as the same value."""
    raw = value.strip()
    if entity_type == "EMAIL":
        return raw.lower()
    if entity_type == "PHONE":
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return re.sub(r"\D", "", raw)
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if entity_type in _COMPACT_TYPES:
        # "12.345.678-z", "12345678 Z" and "12345678Z" are one DNI; IBANs group by four.
        return _SEPARATORS.sub("", raw).upper()
    if entity_type in _NAME_TYPES:
        return fold(raw)
    return _SPACES.sub(" ", raw).casefold()


class RunSecret:
    """A per-run random key and the deterministic generators derived from it."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | None = None) -> None:
        # Random unless a test pins it: a fixed key would make the copy reversible by
        # anyone who knows it (guess a name, derive its fake, compare).
        self._key = key if key is not None else secrets.token_bytes(32)
        if len(self._key) < 16:
            raise ValueError("The run secret must be at least 16 bytes.")

    def __repr__(self) -> str:
        return "RunSecret(<hidden>)"

    def digest(self, purpose: str, *parts: str) -> bytes:
        """HMAC-SHA256 over the purpose and parts, unambiguously joined."""
        mac = hmac.new(self._key, purpose.encode("utf-8"), hashlib.sha256)
        for part in parts:
            data = part.encode("utf-8")
            mac.update(len(data).to_bytes(4, "big"))
            mac.update(data)
        return mac.digest()

    def seed(self, purpose: str, *parts: str) -> int:
        """A 64-bit seed for ``purpose`` and ``parts``."""
        return int.from_bytes(self.digest(purpose, *parts)[:8], "big")

    def rng(self, purpose: str, *parts: str) -> random.Random:
        """A generator seeded from the keyed digest (never from the value itself)."""
        return random.Random(self.seed(purpose, *parts))  # noqa: S311 - seeded by an HMAC
