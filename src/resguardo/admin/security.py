"""Request safety for the console: response headers, login-form CSRF tokens, form parsing."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import parse_qs

from resguardo.errors import InputError

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "LOGIN_COOKIE",
    "SECURITY_HEADERS",
    "login_token_ok",
    "new_login_token",
    "parse_form",
]

# Holds the session's synchronizer token so pages can put it in forms; HttpOnly, so a
# script can't read it, and __Host- so a sibling subdomain can't plant one.
CSRF_COOKIE = "__Host-rsg_console_csrf"
# Double-submit token for the login form, which has no session yet (login CSRF).
LOGIN_COOKIE = "__Host-rsg_console_login"
CSRF_FIELD = "csrf_token"

SECURITY_HEADERS: Mapping[str, str] = MappingProxyType({
    # Only our own CSS; no scripts at all, no plugins, no <base> tricks, forms post home.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",  # clickjacking, for browsers predating frame-ancestors
    "Referrer-Policy": "no-referrer",  # URLs carry filters and key ids: keep them home
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Pages show key ids, audit events and once-only secrets: never store them anywhere.
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
})

_MAX_FIELDS = 40
_MAX_FIELD_CHARS = 4096


def new_login_token() -> str:
    """A fresh random token for the login form and its cookie."""
    return secrets.token_urlsafe(32)


def login_token_ok(cookie: str | None, field: str | None) -> bool:
    """The form echoes the cookie; a cross-site page can neither read nor set it."""
    if not cookie or not field:
        return False
    return hmac.compare_digest(cookie.encode(), field.encode())


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (first value of each name)."""
    if not body:
        return {}  # nothing to read, whatever the type: the CSRF check refuses it next
    if not (content_type or "").lower().startswith("application/x-www-form-urlencoded"):
        raise InputError("Send the form as application/x-www-form-urlencoded.",
                         code="form_required")
    try:
        text = body.decode("utf-8")
        parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False,
                          max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InputError("The form could not be read.", code="invalid_form") from None
    form = {name: values[0] for name, values in parsed.items() if values}
    if any(len(v) > _MAX_FIELD_CHARS for v in form.values()):
        raise InputError("A form field is too long.", code="invalid_form")
    return form
