"""Adapter for OpenAI-compatible APIs: OpenAI, Azure OpenAI, Mistral, vLLM, Ollama's /v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import orjson

from resguardo.errors import ConfigError, UpstreamError
from resguardo.policy.schema import AdapterKind, Provider, Tier
from resguardo.providers.base import Endpoint, parse_sse, post_json, upstream_failure
from resguardo.providers.responses_shim import (
    chat_stream_to_events,
    chat_to_response,
    responses_to_chat,
)
from resguardo.providers.transport import Transport

__all__ = ["OpenAICompatibleAdapter", "check_base_url"]

Json = dict[str, Any]
_PATHS = {"chat": "chat/completions", "responses": "responses", "embeddings": "embeddings"}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def check_base_url(provider: Provider) -> str:
    """The provider's base URL, refusing plain HTTP to a remote, non-local provider."""
    if not provider.base_url:
        raise ConfigError(f"Provider '{provider.id}' has no base_url.")
    parts = urlsplit(provider.base_url)
    if parts.scheme == "https":
        return provider.base_url.rstrip("/")
    # Plain HTTP only for a model on this host or a local-tier one on the LAN (Ollama, vLLM):
    # anything else would send tokens and credentials over the network in clear.
    if parts.scheme == "http" and (parts.hostname in _LOOPBACK or provider.tier is Tier.LOCAL):
        return provider.base_url.rstrip("/")
    raise ConfigError(f"Provider '{provider.id}' must use https.")


class OpenAICompatibleAdapter:
    """Forwards OpenAI-shaped bodies; Responses go native or through the chat shim."""

    def __init__(
        self,
        provider: Provider,
        transport: Transport,
        *,
        native_responses: bool | None = None,
        backoff: float = 0.25,
    ) -> None:
        self.provider = provider
        self._transport = transport
        self._base = check_base_url(provider)
        host = urlsplit(self._base).hostname or ""
        # Azure OpenAI authenticates with an api-key header instead of a bearer token.
        self._azure = host.endswith(".openai.azure.com")
        self._native_responses = (
            provider.adapter is not AdapterKind.OLLAMA
            if native_responses is None else native_responses
        )
        self._backoff = backoff

    def _headers(self, credential: str | None, stream: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json",
                   "Accept": "text/event-stream" if stream else "application/json"}
        if credential:
            if self._azure:
                headers["api-key"] = credential
            else:
                headers["Authorization"] = f"Bearer {credential}"
        return headers

    async def call(self, endpoint: Endpoint, body: Json, credential: str | None) -> Json:
        """A complete answer, retried with backoff on 429/5xx and connection failures."""
        if endpoint == "responses" and not self._native_responses:
            chat = await self.call("chat", responses_to_chat(body), credential)
            return chat_to_response(chat, body)
        url = f"{self._base}/{_PATHS[endpoint]}"
        return await post_json(self._transport, self.provider, url,
                               self._headers(credential, False), orjson.dumps(body),
                               self._backoff)

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, body: Json, credential: str | None
    ) -> AsyncIterator[AsyncIterator[Json]]:
        """Streamed events as they arrive (no retries: part of the answer may be out)."""
        if endpoint == "responses" and not self._native_responses:
            async with self.stream("chat", responses_to_chat(body), credential) as chunks:
                yield chat_stream_to_events(chunks, body)
            return
        url = f"{self._base}/{_PATHS[endpoint]}"
        upstream_body = dict(body, stream=True)
        async with self._transport.stream(
            url, self._headers(credential, True), orjson.dumps(upstream_body),
            self.provider.timeout_seconds,
        ) as response:
            if response.status >= 400:
                raise upstream_failure(response.status, self.provider.id)
            yield self._events(response.lines())

    async def _events(self, lines: AsyncIterator[bytes]) -> AsyncIterator[Json]:
        async for _event, data in parse_sse(lines):
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise UpstreamError("The AI provider sent a malformed event.",
                                    details={"provider": self.provider.id}) from None
            if isinstance(value, dict):
                if "error" in value and value.get("error") and "choices" not in value:
                    raise UpstreamError("The AI provider failed mid-stream.",
                                        details={"provider": self.provider.id})
                yield value
