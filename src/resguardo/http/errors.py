"""Map the error tree to HTTP: one shape, ``{"error": {"code", "message"}}``, never the input."""

from __future__ import annotations

from typing import Any

from resguardo import errors as e

__all__ = ["error_body", "status_for"]

_STATUS: tuple[tuple[type[e.ResguardoError], int], ...] = (
    (e.PayloadTooLarge, 413),
    (e.InputError, 400),
    (e.Unauthenticated, 401),
    (e.Forbidden, 403),
    (e.PolicyDenied, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.RateLimited, 429),
    (e.UpstreamTimeout, 504),
    (e.UpstreamError, 502),
    (e.ProcessingError, 503),
    (e.ConfigError, 500),
    (e.CryptoError, 500),
)


def status_for(exc: e.ResguardoError) -> int:
    """The HTTP status for an error class (most specific class first)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


def error_body(code: str, message: str, status: int, **extra: Any) -> dict[str, Any]:
    """The one error shape; ``type`` and ``param`` make it an OpenAI-style error object too."""
    body: dict[str, Any] = {
        "code": code,
        "message": message,
        "type": _OPENAI_TYPES.get(status, "api_error"),
        "param": None,
    }
    body.update(extra)
    return {"error": body}
