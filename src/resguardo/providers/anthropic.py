"""Adapter for Anthropic's Messages API: chat completions translated both ways, streams too."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson

from resguardo.errors import InputError, UpstreamError
from resguardo.policy.schema import Provider
from resguardo.providers.base import Endpoint, parse_sse, post_json, upstream_failure
from resguardo.providers.openai_compat import check_base_url
from resguardo.providers.responses_shim import (
    chat_stream_to_events,
    chat_to_response,
    responses_to_chat,
)
from resguardo.providers.transport import Transport

__all__ = ["AnthropicAdapter", "chat_to_messages", "message_to_chat"]

Json = dict[str, Any]
_VERSION = "2023-06-01"
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
         "tool_use": "tool_calls"}


def _blocks(content: Any) -> list[Json]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[Json] = []
    for part in content or ():
        if isinstance(part, dict) and part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif isinstance(part, dict) and part.get("type") == "image_url":
            url = str((part.get("image_url") or {}).get("url", ""))
            blocks.append({"type": "image", "source": {"type": "url", "url": url}})
    return blocks


def chat_to_messages(body: Json) -> Json:
    """A chat-completions request as a Messages request."""
    system: list[str] = []
    messages: list[Json] = []

    def add(role: str, blocks: list[Json]) -> None:
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})

    for m in body.get("messages") or ():
        role = m.get("role")
        if role in ("system", "developer"):
            system.extend(b["text"] for b in _blocks(m.get("content")) if b["type"] == "text")
        elif role == "tool":
            content = m.get("content")
            text = content if isinstance(content, str) else "".join(
                b.get("text", "") for b in _blocks(content))
            add("user", [{"type": "tool_result", "tool_use_id": m.get("tool_call_id", ""),
                          "content": text}])
        elif role == "assistant":
            blocks = _blocks(m.get("content"))
            for call in m.get("tool_calls") or ():
                fn = call.get("function") or {}
                try:
                    args = orjson.loads(fn.get("arguments") or "{}")
                except orjson.JSONDecodeError:
                    raise InputError("Tool-call arguments must be JSON.") from None
                blocks.append({"type": "tool_use", "id": call.get("id", ""),
                               "name": fn.get("name", ""), "input": args})
            add("assistant", blocks)
        else:
            add("user", _blocks(m.get("content")))
    out: Json = {"model": body.get("model", ""), "messages": messages,
                 "max_tokens": body.get("max_tokens") or body.get("max_completion_tokens")
                 or 1024}
    if system:
        out["system"] = "\n\n".join(system)
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]
    if body.get("stop"):
        stop = body["stop"]
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    tools = [t.get("function") or {} for t in body.get("tools") or () if isinstance(t, dict)]
    if tools:
        out["tools"] = [{"name": f.get("name", ""), "description": f.get("description", ""),
                         "input_schema": f.get("parameters") or {"type": "object"}}
                        for f in tools]
    return out


def message_to_chat(msg: Json) -> Json:
    """A Messages answer as a chat completion."""
    text = "".join(b.get("text", "") for b in msg.get("content") or () if b.get("type") == "text")
    calls = [{"id": b.get("id", ""), "type": "function",
              "function": {"name": b.get("name", ""),
                           "arguments": orjson.dumps(b.get("input") or {}).decode()}}
             for b in msg.get("content") or () if b.get("type") == "tool_use"]
    message: Json = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    usage = msg.get("usage") or {}
    i, o = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    return {"id": msg.get("id", ""), "object": "chat.completion", "created": int(time.time()),
            "model": msg.get("model", ""),
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": _STOP.get(str(msg.get("stop_reason")), "stop")}],
            "usage": {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}}


class AnthropicAdapter:
    """Talks to ``{base_url}/v1/messages`` with an ``x-api-key``."""

    def __init__(self, provider: Provider, transport: Transport, *, backoff: float = 0.25) -> None:
        self.provider = provider
        self._transport = transport
        base = check_base_url(provider)
        self._url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        self._backoff = backoff

    def _headers(self, credential: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "anthropic-version": _VERSION}
        if credential:
            headers["x-api-key"] = credential
        return headers

    async def call(self, endpoint: Endpoint, body: Json, credential: str | None) -> Json:
        """A complete answer, retried with backoff on 429/5xx."""
        if endpoint == "embeddings":
            raise InputError("This provider has no embeddings.", code="unsupported_endpoint")
        if endpoint == "responses":
            return chat_to_response(await self.call("chat", responses_to_chat(body), credential),
                                    body)
        payload = orjson.dumps(chat_to_messages(body))
        msg = await post_json(self._transport, self.provider, self._url,
                              self._headers(credential), payload, self._backoff)
        return message_to_chat(msg)

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, body: Json, credential: str | None
    ) -> AsyncIterator[AsyncIterator[Json]]:
        """Messages events as chat chunks (or Responses events) as they arrive."""
        if endpoint == "responses":
            async with self.stream("chat", responses_to_chat(body), credential) as chunks:
                yield chat_stream_to_events(chunks, body)
            return
        payload = orjson.dumps(dict(chat_to_messages(body), stream=True))
        async with self._transport.stream(self._url, self._headers(credential), payload,
                                          self.provider.timeout_seconds) as response:
            if response.status >= 400:
                raise upstream_failure(response.status, self.provider.id)
            yield self._chunks(response.lines(), str(body.get("model", "")))

    async def _chunks(self, lines: AsyncIterator[bytes], model: str) -> AsyncIterator[Json]:
        cid, tool_index = "chatcmpl-anthropic", -1
        blocks: dict[int, int] = {}

        def chunk(delta: Json, finish: str | None = None) -> Json:
            return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": model, "choices": [{"index": 0, "delta": delta,
                                                 "finish_reason": finish}]}

        async for event, data in parse_sse(lines):
            msg = orjson.loads(data)
            kind = msg.get("type", event)
            if kind == "message_start":
                cid = (msg.get("message") or {}).get("id", cid)
                model = (msg.get("message") or {}).get("model", model)
                yield chunk({"role": "assistant", "content": ""})
            elif kind == "content_block_start":
                block = msg.get("content_block") or {}
                if block.get("type") == "tool_use":
                    tool_index += 1
                    blocks[int(msg.get("index", 0))] = tool_index
                    yield chunk({"tool_calls": [{"index": tool_index, "id": block.get("id", ""),
                                                 "type": "function",
                                                 "function": {"name": block.get("name", ""),
                                                              "arguments": ""}}]})
            elif kind == "content_block_delta":
                delta = msg.get("delta") or {}
                if delta.get("type") == "text_delta":
                    yield chunk({"content": delta.get("text", "")})
                elif delta.get("type") == "input_json_delta":
                    n = blocks.get(int(msg.get("index", 0)), 0)
                    yield chunk({"tool_calls": [{"index": n, "function": {
                        "arguments": delta.get("partial_json", "")}}]})
            elif kind == "message_delta":
                stop = (msg.get("delta") or {}).get("stop_reason")
                if stop:
                    yield chunk({}, _STOP.get(str(stop), "stop"))
            elif kind == "error":
                raise UpstreamError("The AI provider failed mid-stream.",
                                    details={"provider": self.provider.id})
