"""The built-in ``demo`` provider: offline and deterministic, so the README runs with no key.

It echoes, summarizes, extracts JSON and calls tools, always the same way for the same input,
and streams in several chunks (cut mid-token on purpose, to exercise stream restoration).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson

from resguardo.policy.schema import Provider
from resguardo.providers.base import Endpoint
from resguardo.providers.responses_shim import (
    chat_stream_to_events,
    chat_to_response,
    responses_to_chat,
)

__all__ = ["DemoAdapter", "demo_reply"]

Json = dict[str, Any]
_TOKEN = re.compile(r"\[([A-Z][A-Z0-9_]*?)_(\d+)\]")
_CHUNKS = 4


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _first_string_param(tool: Json) -> str:
    params = ((tool.get("function") or {}).get("parameters") or {}).get("properties") or {}
    for name, spec in params.items():
        if isinstance(spec, dict) and spec.get("type", "string") == "string":
            return str(name)
    return "text"


def demo_reply(body: Json) -> Json:
    """The deterministic assistant message (content or tool calls) for a chat request."""
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    last = messages[-1] if messages else {}
    text = _text_of(last.get("content"))
    tools = [t for t in body.get("tools") or () if isinstance(t, dict)]
    if last.get("role") == "tool":
        return {"role": "assistant", "content": f"Tool result received: {text}"}
    if tools and last.get("role") == "user" and body.get("tool_choice") != "none":
        tool = tools[0]
        name = (tool.get("function") or {}).get("name", "tool")
        args = orjson.dumps({_first_string_param(tool): text}).decode()
        call_id = "call_" + hashlib.sha256(text.encode()).hexdigest()[:16]
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}]}
    lowered = text.lower()
    fmt = (body.get("response_format") or {}).get("type")
    if fmt in ("json_object", "json_schema") or "json" in lowered or "extrae" in lowered:
        found: dict[str, list[str]] = {}
        for m in _TOKEN.finditer(text):
            found.setdefault(m.group(1).lower(), []).append(m.group(0))
        return {"role": "assistant", "content": orjson.dumps(found).decode()}
    if lowered.startswith(("summarize", "resume", "resumen")):
        words = text.split()
        return {"role": "assistant", "content": "Summary: " + " ".join(words[1:13])}
    return {"role": "assistant", "content": f"Echo: {text}"}


def _usage(body: Json, reply: Json) -> Json:
    prompt = sum(len(_text_of(m.get("content")).split()) for m in body.get("messages") or ()
                 if isinstance(m, dict))
    completion = len(str(reply.get("content") or "").split())
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _pieces(text: str) -> list[str]:
    size = max(1, -(-len(text) // _CHUNKS))
    return [text[i : i + size] for i in range(0, len(text), size)]


class DemoAdapter:
    """A provider that never leaves the process."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def _model(self, body: Json) -> str:
        return str(body.get("model") or (self.provider.models or ("demo",))[0])

    async def call(self, endpoint: Endpoint, body: Json, credential: str | None) -> Json:
        """A complete answer."""
        if endpoint == "embeddings":
            return self._embeddings(body)
        if endpoint == "responses":
            return chat_to_response(await self.call("chat", responses_to_chat(body), None), body)
        reply = demo_reply(body)
        digest = hashlib.sha256(orjson.dumps(body.get("messages"))).hexdigest()[:24]
        return {"id": f"chatcmpl-demo{digest}", "object": "chat.completion", "created": 0,
                "model": self._model(body),
                "choices": [{"index": 0, "message": reply, "logprobs": None,
                             "finish_reason": "tool_calls" if reply.get("tool_calls")
                             else "stop"}],
                "usage": _usage(body, reply)}

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, body: Json, credential: str | None
    ) -> AsyncIterator[AsyncIterator[Json]]:
        """The same answer in several chunks."""
        if endpoint == "responses":
            yield chat_stream_to_events(self._chunks(responses_to_chat(body)), body)
        else:
            yield self._chunks(body)

    async def _chunks(self, body: Json) -> AsyncIterator[Json]:
        full = await self.call("chat", body, None)
        reply = full["choices"][0]["message"]
        base = {"id": full["id"], "object": "chat.completion.chunk", "created": 0,
                "model": full["model"]}

        def chunk(delta: Json, finish: str | None = None) -> Json:
            return dict(base, choices=[{"index": 0, "delta": delta, "logprobs": None,
                                        "finish_reason": finish}])

        yield chunk({"role": "assistant", "content": ""})
        if reply.get("tool_calls"):
            call = reply["tool_calls"][0]
            yield chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                         "function": {"name": call["function"]["name"],
                                                      "arguments": ""}}]})
            for piece in _pieces(call["function"]["arguments"]):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk({}, "tool_calls")
        else:
            for piece in _pieces(str(reply.get("content") or "")):
                yield chunk({"content": piece})
            yield chunk({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            yield dict(base, choices=[], usage=full["usage"])

    def _embeddings(self, body: Json) -> Json:
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or ())
        data = []
        for i, item in enumerate(items):
            digest = hashlib.sha256(str(item).encode()).digest()
            vector = [round((b - 128) / 128, 4) for b in digest[:8]]
            data.append({"object": "embedding", "index": i, "embedding": vector})
        return {"object": "list", "data": data, "model": self._model(body),
                "usage": {"prompt_tokens": len(items), "total_tokens": len(items)}}
