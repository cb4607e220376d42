"""One exception tree for the whole package.

Every error carries a machine-readable ``code`` and a ``message`` that is safe
to show: it never contains a personal value from the input. The HTTP layer maps
classes to status codes (``resguardo.http.errors``); domain code never imports
the web framework.

    * ResguardoError
      + ConfigError                 configuration or environment is unusable
        - PolicyError               resguardo.yaml is invalid (file, line, field)
      + InputError                  the caller sent something malformed      (400)
        - PayloadTooLarge           body over the configured limit          (413)
      + AuthError
        - Unauthenticated           no, malformed, wrong, revoked key        (401)
        - Forbidden                 authenticated but not allowed            (403)
      + PolicyDenied                policy forbids this data flow            (403)
      + NotFound                                                             (404)
      + Conflict                                                             (409)
      + RateLimited                                                          (429)
      + CryptoError
        - InvalidCiphertext         every decryption failure, opaque
        - KeyUnavailable            key version missing, retired or shredded
      + ProcessingError             fail closed: nothing was forwarded       (503)
        - DetectionFailed
        - AuditWriteFailed
        - StoreUnavailable
      + UpstreamError               the AI provider failed                   (502)
        - UpstreamTimeout                                                    (504)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuditWriteFailed",
    "AuthError",
    "ConfigError",
    "Conflict",
    "CryptoError",
    "DetectionFailed",
    "Forbidden",
    "InputError",
    "InvalidCiphertext",
    "KeyUnavailable",
    "NotFound",
    "PayloadTooLarge",
    "PolicyDenied",
    "PolicyError",
    "ProcessingError",
    "RateLimited",
    "ResguardoError",
    "StoreUnavailable",
    "Unauthenticated",
    "UpstreamError",
    "UpstreamTimeout",
]


class ResguardoError(Exception):
    """Base of every error Resguardo raises on purpose."""

    code = "internal_error"
    default_message = "Internal error."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        # details must hold only safe values: names, counts, categories, ids.
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)


class ConfigError(ResguardoError):
    code = "config_error"
    default_message = "Configuration is invalid."


class PolicyError(ConfigError):
    """The policy file failed validation; ``issues`` lists every problem found."""

    code = "policy_invalid"
    default_message = "Policy is invalid."

    def __init__(self, message: str | None = None, *, issues: list[str] | None = None) -> None:
        self.issues = list(issues or [])
        super().__init__(message or "\n".join(self.issues) or None)


class InputError(ResguardoError):
    code = "invalid_request"
    default_message = "The request is invalid."


class PayloadTooLarge(InputError):
    code = "payload_too_large"
    default_message = "The request body is larger than allowed."


class AuthError(ResguardoError):
    code = "auth_error"


class Unauthenticated(AuthError):
    code = "unauthenticated"
    default_message = "Missing or invalid credentials."


class Forbidden(AuthError):
    code = "forbidden"
    default_message = "You are not allowed to do this."


class PolicyDenied(ResguardoError):
    code = "policy_denied"
    default_message = "The policy does not allow this request."


class NotFound(ResguardoError):
    code = "not_found"
    default_message = "Not found."


class Conflict(ResguardoError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class RateLimited(ResguardoError):
    code = "rate_limited"
    default_message = "Too many requests."


class CryptoError(ResguardoError):
    code = "crypto_error"
    default_message = "Cryptographic operation failed."


class InvalidCiphertext(CryptoError):
    """Raised for every decryption failure alike, so failures reveal nothing."""

    code = "invalid_ciphertext"
    default_message = "Data could not be decrypted."


class KeyUnavailable(CryptoError):
    code = "key_unavailable"
    default_message = "The key needed is not available."


class ProcessingError(ResguardoError):
    code = "processing_failed"
    default_message = "The request could not be processed safely; nothing was forwarded."


class DetectionFailed(ProcessingError):
    code = "detection_failed"


class AuditWriteFailed(ProcessingError):
    code = "audit_unavailable"


class StoreUnavailable(ProcessingError):
    code = "store_unavailable"


class UpstreamError(ResguardoError):
    code = "upstream_error"
    default_message = "The AI provider returned an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.upstream_status = status
        super().__init__(message, code=code, details=details)


class UpstreamTimeout(UpstreamError):
    code = "upstream_timeout"
    default_message = "The AI provider did not answer in time."
