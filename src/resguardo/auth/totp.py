"""TOTP (RFC 6238) for admin 2FA: enrolment, single-use verification, recovery codes."""

from __future__ import annotations

import base64
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import qrcode

__all__ = [
    "STEP_SECONDS",
    "Enrolment",
    "enrolment_for",
    "match_step",
    "new_recovery_codes",
    "normalize_recovery_code",
    "qr_ascii",
]

STEP_SECONDS = 30
SKEW_STEPS = 1  # ±1 step tolerates phone clocks a little off
ISSUER = "Resguardo"


@dataclass(frozen=True)
class Enrolment:
    """A fresh TOTP seed with its otpauth URI; shown once to the admin."""

    seed: str
    uri: str

    def __repr__(self) -> str:
        return "Enrolment(seed=<hidden>)"


def enrolment_for(username: str, issuer: str = ISSUER) -> Enrolment:
    """A new 160-bit seed (RFC 4226's recommended length) and its provisioning URI."""
    seed = pyotp.random_base32(32)
    uri = pyotp.TOTP(seed, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=issuer)
    return Enrolment(seed=seed, uri=uri)


def qr_ascii(uri: str) -> str:
    """The URI as a QR code drawn with text, for the terminal."""
    qr = qrcode.QRCode(border=1)
    qr.add_data(uri)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out)
    return out.getvalue()


def match_step(seed: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to (±1), or None; steps at or before ``last_step``
    never match, so each code works once."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(seed, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    found: int | None = None
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        expected = totp.at(step * STEP_SECONDS)
        # Compare every candidate in constant time; don't stop early on a match.
        if hmac.compare_digest(expected, code) and (last_step is None or step > last_step):
            found = step
    return found


def new_recovery_codes(count: int = 10) -> list[str]:
    """One-time codes like ``abcd-efgh-ijkl-mnop`` (80 random bits each)."""
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def normalize_recovery_code(code: str) -> str:
    """Accept codes typed with or without dashes, in any case."""
    raw = "".join(ch for ch in code.lower() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
