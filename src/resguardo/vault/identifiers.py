"""Normalize subject identifiers so the same person always maps to the same blind index."""

from __future__ import annotations

import re
from enum import StrEnum

import phonenumbers

from resguardo.errors import InputError

__all__ = ["IdentifierKind", "normalize_identifier"]


class IdentifierKind(StrEnum):
    """The identifiers that link a data subject across records."""

    EMAIL = "email"
    PHONE = "phone"
    NATIONAL_ID = "national_id"
    CRM_ID = "crm_id"


_SEPARATORS = re.compile(r"[\s.\-_/]+")


def _kind(kind: str) -> IdentifierKind:
    try:
        return IdentifierKind(kind)
    except ValueError:
        # The caller's kind may be a misplaced value (an email as the key): echo ours instead.
        raise InputError(
            "Unknown identifier kind.", code="invalid_identifier",
            details={"allowed": [k.value for k in IdentifierKind]},
        ) from None


def normalize_identifier(kind: str, value: str, *, default_region: str = "ES") -> tuple[str, str]:
    """``(kind, normalized value)``; raises InputError (without the value) if it is unusable."""
    k = _kind(kind)
    raw = value.strip()
    if not raw:
        raise InputError("Identifier is empty.", code="invalid_identifier", details={"kind": k})
    if k is IdentifierKind.EMAIL:
        if raw.count("@") != 1 or raw.startswith("@") or raw.endswith("@"):
            raise InputError(
                "Identifier is not an email.", code="invalid_identifier", details={"kind": k}
            )
        return k.value, raw.lower()
    if k is IdentifierKind.PHONE:
        return k.value, _e164(raw, default_region)
    if k is IdentifierKind.NATIONAL_ID:
        # "12.345.678-z", "12345678 Z" and "12345678Z" are the same DNI.
        return k.value, _SEPARATORS.sub("", raw).upper()
    return k.value, raw


def _not_a_phone() -> InputError:
    return InputError(
        "Identifier is not a phone number.", code="invalid_identifier", details={"kind": "phone"}
    )


def _e164(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise _not_a_phone() from None
    if not phonenumbers.is_possible_number(number):
        raise _not_a_phone()
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
