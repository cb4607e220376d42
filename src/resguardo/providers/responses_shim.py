"""The Responses API over a chat-completions backend (demo, Anthropic, Ollama): request,
answer and the streamed event sequence, translated both ways."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["chat_stream_to_events", "chat_to_response", "responses_to_chat"]

Json = dict[str, Any]


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _content_text(content: Any) -> Any:
    if isinstance(content, str):
        return content
    parts: list[Json] = []
    for part in content or ():
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": part.get("text", "")})
        elif kind == "input_image":
            url = part.get("image_url") or ""
            parts.append({"type": "image_url", "image_url": {"url": url}})
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def responses_to_chat(body: Json) -> Json:
    """A Responses request as a chat-completions request."""
    messages: list[Json] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    if isinstance(items, str):
        messages.append({"role": "user", "content": items})
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role", "user")
            messages.append({"role": "system" if role == "developer" else role,
                             "content": _content_text(item.get("content", ""))})
        elif kind == "function_call":
            call = {"id": item.get("call_id", ""), "type": "function",
                    "function": {"name": item.get("name", ""),
                                 "arguments": item.get("arguments", "")}}
            if messages and messages[-1]["role"] == "assistant" and "tool_calls" in messages[-1]:
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output", "")
            messages.append({"role": "tool", "tool_call_id": item.get("call_id", ""),
                             "content": output if isinstance(output, str) else str(output)})
    chat: Json = {"model": body.get("model", ""), "messages": messages}
    tools = [
        {"type": "function", "function": {k: t[k] for k in ("name", "description", "parameters")
                                          if k in t}}
        for t in body.get("tools") or () if isinstance(t, dict) and t.get("type") == "function"
    ]
    if tools:
        chat["tools"] = tools
    for src, dst in (("temperature", "temperature"), ("top_p", "top_p"),
                     ("max_output_tokens", "max_tokens")):
        if body.get(src) is not None:
            chat[dst] = body[src]
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        chat["response_format"] = {"type": "json_object"}
    return chat


def _usage(chat_usage: Any) -> Json:
    usage = chat_usage if isinstance(chat_usage, dict) else {}
    i, o = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
    return {"input_tokens": i, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": o, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": i + o}


def _envelope(request: Json, rid: str, created: int, status: str, output: list[Json],
              usage: Json | None) -> Json:
    return {
        "id": rid, "object": "response", "created_at": created, "status": status,
        "error": None, "incomplete_details": None, "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"), "model": request.get("model", ""),
        "output": output, "parallel_tool_calls": True, "previous_response_id": None,
        "temperature": request.get("temperature"), "top_p": request.get("top_p"),
        "tool_choice": request.get("tool_choice", "auto"), "tools": request.get("tools", []),
        "text": {"format": {"type": "text"}}, "truncation": "disabled", "usage": usage,
        "metadata": request.get("metadata") or {},
    }


def _message_item(text: str, status: str = "completed", item_id: str | None = None) -> Json:
    return {"type": "message", "id": item_id or _new_id("msg"), "status": status,
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def chat_to_response(chat: Json, request: Json) -> Json:
    """A chat completion as a Responses object."""
    choice = (chat.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    output: list[Json] = []
    if message.get("content"):
        output.append(_message_item(str(message["content"])))
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {}
        output.append({"type": "function_call", "id": _new_id("fc"),
                       "call_id": call.get("id", ""), "name": fn.get("name", ""),
                       "arguments": fn.get("arguments", ""), "status": "completed"})
    out = _envelope(request, _new_id("resp"), int(chat.get("created") or time.time()),
                    "completed", output, _usage(chat.get("usage")))
    out["model"] = chat.get("model", out["model"])
    return out


class _Events:
    def __init__(self) -> None:
        self.seq = 0

    def __call__(self, kind: str, **fields: Any) -> Json:
        # Independent copies: the gateway rewrites events in place as it restores them.
        event = {"type": kind, "sequence_number": self.seq, **copy.deepcopy(fields)}
        self.seq += 1
        return event


async def chat_stream_to_events(chunks: AsyncIterator[Json], request: Json) -> AsyncIterator[Json]:
    """Chat-completion chunks as the Responses event sequence, created → completed."""
    ev = _Events()
    rid, created = _new_id("resp"), int(time.time())
    yield ev("response.created", response=_envelope(request, rid, created, "in_progress", [], None))
    yield ev("response.in_progress",
             response=_envelope(request, rid, created, "in_progress", [], None))
    output: list[Json] = []
    text_item: Json | None = None
    text = ""
    calls: dict[int, Json] = {}
    usage: Json | None = None
    model = request.get("model", "")

    def close_text() -> list[Json]:
        nonlocal text_item
        if text_item is None:
            return []
        idx, iid = output.index(text_item), text_item["id"]
        done = _message_item(text, "completed", iid)
        output[idx] = done
        text_item = None
        part = {"type": "output_text", "text": text, "annotations": []}
        return [ev("response.output_text.done", item_id=iid, output_index=idx, content_index=0,
                   text=text),
                ev("response.content_part.done", item_id=iid, output_index=idx,
                   content_index=0, part=part),
                ev("response.output_item.done", output_index=idx, item=done)]

    async for chunk in chunks:
        model = chunk.get("model") or model
        if isinstance(chunk.get("usage"), dict):
            usage = _usage(chunk["usage"])
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            piece = delta.get("content")
            if piece:
                if text_item is None:
                    text_item = {"type": "message", "id": _new_id("msg"),
                                 "status": "in_progress", "role": "assistant", "content": []}
                    output.append(text_item)
                    idx = len(output) - 1
                    yield ev("response.output_item.added", output_index=idx, item=text_item)
                    yield ev("response.content_part.added", item_id=text_item["id"],
                             output_index=idx, content_index=0,
                             part={"type": "output_text", "text": "", "annotations": []})
                text += piece
                yield ev("response.output_text.delta", item_id=text_item["id"],
                         output_index=output.index(text_item), content_index=0, delta=piece)
            for tc in delta.get("tool_calls") or ():
                n = int(tc.get("index", 0))
                fn = tc.get("function") or {}
                if n not in calls:
                    for e in close_text():
                        yield e
                    item = {"type": "function_call", "id": _new_id("fc"),
                            "call_id": tc.get("id") or _new_id("call"),
                            "name": fn.get("name", ""), "arguments": "",
                            "status": "in_progress"}
                    calls[n] = item
                    output.append(item)
                    yield ev("response.output_item.added", output_index=len(output) - 1,
                             item=dict(item))
                item = calls[n]
                if fn.get("arguments"):
                    item["arguments"] += fn["arguments"]
                    yield ev("response.function_call_arguments.delta", item_id=item["id"],
                             output_index=output.index(item), delta=fn["arguments"])
    for e in close_text():
        yield e
    for item in calls.values():
        item["status"] = "completed"
        idx = output.index(item)
        yield ev("response.function_call_arguments.done", item_id=item["id"], output_index=idx,
                 arguments=item["arguments"])
        yield ev("response.output_item.done", output_index=idx, item=dict(item))
    final = _envelope(request, rid, created, "completed", output, usage or _usage(None))
    final["model"] = model
    yield ev("response.completed", response=final)
