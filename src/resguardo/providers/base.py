"""What every provider adapter offers the gateway: credentials, errors, retries, SSE parsing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from resguardo.errors import (
    ConfigError,
    InputError,
    RateLimited,
    ResguardoError,
    UpstreamError,
    UpstreamTimeout,
)
from resguardo.policy.schema import CredentialRef, Provider
from resguardo.providers.transport import Transport

__all__ = [
    "Credentials",
    "Endpoint",
    "ProviderAdapter",
    "backoff_delay",
    "is_retryable",
    "loads_object",
    "parse_sse",
    "post_json",
    "upstream_failure",
]

Endpoint = Literal["chat", "responses", "embeddings"]
Json = dict[str, Any]


class ProviderAdapter(Protocol):
    """One provider: OpenAI-shaped requests in, OpenAI-shaped answers and events out."""

    provider: Provider

    async def call(self, endpoint: Endpoint, body: Json, credential: str | None) -> Json:
        """A complete (non-streamed) answer."""
        ...

    def stream(
        self, endpoint: Endpoint, body: Json, credential: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[Json]]:
        """Streamed events (chat chunks, or Responses events with a ``type``)."""
        ...


class Credentials:
    """Resolves provider/workflow credential references from an env mapping or secret files."""

    def __init__(self, env: Mapping[str, str], base_dir: Path | None = None) -> None:
        # The env mapping is passed in by the app factory: domain code never reads os.environ.
        self._env = env
        self._base = base_dir
        self._cache: dict[CredentialRef, str] = {}

    def resolve(self, ref: CredentialRef | None) -> str | None:
        """The secret behind ``ref`` (None when no credential is configured)."""
        if ref is None:
            return None
        cached = self._cache.get(ref)
        if cached is not None:
            return cached
        if ref.env:
            value = self._env.get(ref.env)
            if not value:
                # Name the variable, never a value.
                raise ConfigError(f"Provider credential variable {ref.env} is not set.")
        else:
            path = Path(ref.file or "")
            if not path.is_absolute() and self._base is not None:
                path = self._base / path
            try:
                value = path.read_text(encoding="utf-8").strip()
            except OSError:
                raise ConfigError("A provider credential file cannot be read.") from None
        self._cache[ref] = value
        return value


def upstream_failure(status: int, provider_id: str) -> ResguardoError:
    """Map an upstream HTTP status to our error; the upstream body is never echoed."""
    details = {"provider": provider_id, "upstream_status": status}
    if status == 429:
        return RateLimited("The AI provider is rate limiting.", code="upstream_rate_limited",
                           details=details)
    if status in (400, 404, 409, 413, 422):
        return InputError("The AI provider rejected the request.", code="upstream_rejected",
                          details=details)
    if status in (401, 403):
        return UpstreamError("The AI provider refused the gateway's credential.",
                             status=status, code="upstream_auth_failed", details=details)
    return UpstreamError(status=status, details=details)


def backoff_delay(base: float, attempt: int) -> float:
    """Seconds before retry ``attempt`` (1-based): exponential, with jitter to spread retries."""
    return float(base * 2.0 ** (attempt - 1) * (0.5 + random.random()))  # noqa: S311 - jitter


def is_retryable(exc: BaseException) -> bool:
    """Worth another try or another provider: timeouts, connection failures, 429 and 5xx."""
    if isinstance(exc, UpstreamTimeout):
        return True
    if isinstance(exc, RateLimited):
        return exc.code == "upstream_rate_limited"
    if isinstance(exc, UpstreamError):
        return exc.upstream_status is None or exc.upstream_status >= 500
    return False


async def parse_sse(lines: AsyncIterator[bytes]) -> AsyncIterator[tuple[str | None, bytes]]:
    """(event name, data) pairs from a server-sent-events byte stream; stops at ``[DONE]``."""
    event: str | None = None
    data: list[bytes] = []
    async for raw in lines:
        line = raw.rstrip(b"\r\n")
        if not line:
            if data:
                payload = b"\n".join(data)
                if payload.strip() == b"[DONE]":
                    return
                yield event, payload
            event, data = None, []
            continue
        if line.startswith(b"data:"):
            data.append(line[5:].lstrip(b" "))
        elif line.startswith(b"event:"):
            event = line[6:].strip().decode("utf-8", "replace")
    if data:
        payload = b"\n".join(data)
        if payload.strip() != b"[DONE]":
            yield event, payload


def loads_object(payload: bytes, provider_id: str) -> Json:
    """Parse an upstream JSON object, or fail as an upstream error (without echoing it)."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise UpstreamError("The AI provider sent malformed JSON.",
                            details={"provider": provider_id}) from None
    if not isinstance(value, dict):
        raise UpstreamError("The AI provider sent an unexpected answer.",
                            details={"provider": provider_id})
    return value


async def post_json(
    transport: Transport,
    provider: Provider,
    url: str,
    headers: Mapping[str, str],
    payload: bytes,
    backoff: float,
) -> Json:
    """POST ``payload`` and parse the JSON object answered, retried with backoff on 429/5xx."""
    attempt = 0
    while True:
        try:
            response = await transport.post(url, headers, payload, provider.timeout_seconds)
            if response.status >= 400:
                raise upstream_failure(response.status, provider.id)
            return loads_object(response.body, provider.id)
        except ResguardoError as exc:
            if attempt >= provider.max_retries or not is_retryable(exc):
                raise
            attempt += 1
            await asyncio.sleep(backoff_delay(backoff, attempt))
