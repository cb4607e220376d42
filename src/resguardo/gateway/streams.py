"""Streamed answers: restore tokens across chunk boundaries for both APIs, re-encode as SSE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from resguardo.gateway.reply import ReplyScanGuard, restore_json
from resguardo.vault.pseudonymize import StreamRestorer
from resguardo.vault.tokens import TokenMap

__all__ = ["ChatStream", "ResponsesStream", "chat_sse", "chat_sse_error", "responses_sse"]

Json = dict[str, Any]
GuardFactory = Callable[[], ReplyScanGuard | None]
_STREAMED = frozenset({"content", "arguments"})
DONE = b"data: [DONE]\n\n"


def chat_sse(chunk: Json) -> bytes:
    """One chat-completion chunk as an SSE event."""
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def chat_sse_error(code: str, message: str) -> bytes:
    """The error event a chat stream ends with (OpenAI clients raise on it)."""
    return chat_sse({"error": {"code": code, "message": message, "type": "api_error",
                               "param": None}})


def responses_sse(event: Json) -> bytes:
    """One Responses event as an SSE event (with its ``event:`` line)."""
    return b"event: " + str(event.get("type", "message")).encode() + b"\ndata: " + \
        orjson.dumps(event) + b"\n\n"


class ChatStream:
    """Restores chat-completion chunks; text and tool arguments are held back only as needed."""

    def __init__(self, tmap: TokenMap, guard: ReplyScanGuard | None) -> None:
        self._tmap = tmap
        self._guard = guard
        self._text: dict[int, StreamRestorer] = {}
        self._args: dict[tuple[int, int], StreamRestorer] = {}
        self._template: Json = {}

    @property
    def active(self) -> bool:
        """False when nothing needs restoring or scanning: chunks may pass untouched."""
        return bool(self._tmap) or self._guard is not None

    def _restorer(self, key: Any, escape: bool) -> StreamRestorer:
        table: dict[Any, StreamRestorer] = self._args if escape else self._text
        r = table.get(key)
        if r is None:
            r = table[key] = StreamRestorer(self._tmap, escape=escape, guard=self._guard)
        return r

    def process(self, chunk: Json) -> list[Json]:
        """The chunk(s) to send for one upstream chunk (a flush chunk may come first)."""
        if not self.active:
            return [chunk]
        self._template = {k: chunk[k] for k in ("id", "object", "created", "model") if k in chunk}
        out: list[Json] = []
        for choice in chunk.get("choices") or ():
            index = int(choice.get("index", 0))
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                delta["content"] = self._restorer(index, False).feed(delta["content"])
            for tc in delta.get("tool_calls") or ():
                fn = tc.get("function") or {}
                if isinstance(fn.get("arguments"), str):
                    key = (index, int(tc.get("index", 0)))
                    fn["arguments"] = self._restorer(key, True).feed(fn["arguments"])
            if choice.get("finish_reason"):
                tail = self._flush_choice(index)
                if tail is not None:
                    out.append(tail)
        restore_json(chunk, self._tmap, self._guard, skip=_STREAMED)
        out.append(chunk)
        return out

    def _flush_choice(self, index: int) -> Json | None:
        delta: Json = {}
        text = self._text.pop(index, None)
        if text is not None:
            rest = text.flush()
            if rest:
                delta["content"] = rest
        calls = []
        for key in sorted(k for k in self._args if k[0] == index):
            rest = self._args.pop(key).flush()
            if rest:
                calls.append({"index": key[1], "function": {"arguments": rest}})
        if calls:
            delta["tool_calls"] = calls
        if not delta:
            return None
        return dict(self._template, choices=[{"index": index, "delta": delta,
                                              "finish_reason": None}])

    def finish(self) -> list[Json]:
        """Flush chunks for anything still held back (upstream ended without finish_reason)."""
        indexes = sorted({*self._text, *(k[0] for k in self._args)})
        return [c for c in (self._flush_choice(i) for i in indexes) if c is not None]


class ResponsesStream:
    """Restores Responses events; deltas are held back per item, ``done`` events made whole."""

    def __init__(self, tmap: TokenMap, guard: ReplyScanGuard | None) -> None:
        self._tmap = tmap
        self._guard = guard
        self._streams: dict[tuple[str, Any], StreamRestorer] = {}
        self._seq = 0

    def _number(self, event: Json) -> Json:
        # Events may be inserted (flushes), so sequence numbers are re-issued in order.
        event["sequence_number"] = self._seq
        self._seq += 1
        return event

    def process(self, event: Json) -> list[Json]:
        """The event(s) to send for one upstream event."""
        kind = event.get("type", "")
        if not (self._tmap or self._guard is not None):
            return [self._number(event)]
        if kind == "response.output_text.delta":
            key = (str(event.get("item_id")), event.get("content_index", 0))
            event["delta"] = self._get(key, False).feed(str(event.get("delta", "")))
            return [self._number(event)] if event["delta"] else []
        if kind == "response.function_call_arguments.delta":
            key = (str(event.get("item_id")), "args")
            event["delta"] = self._get(key, True).feed(str(event.get("delta", "")))
            return [self._number(event)] if event["delta"] else []
        if kind == "response.output_text.done":
            key = (str(event.get("item_id")), event.get("content_index", 0))
            return self._done(event, key, "text", "response.output_text.delta", False)
        if kind == "response.function_call_arguments.done":
            key = (str(event.get("item_id")), "args")
            return self._done(event, key, "arguments", "response.function_call_arguments.delta",
                              True)
        restore_json(event, self._tmap, self._guard)
        return [self._number(event)]

    def _get(self, key: tuple[str, Any], escape: bool) -> StreamRestorer:
        r = self._streams.get(key)
        if r is None:
            r = self._streams[key] = StreamRestorer(self._tmap, escape=escape, guard=self._guard)
        return r

    def _done(self, event: Json, key: tuple[str, Any], field: str, delta_type: str,
              escape: bool) -> list[Json]:
        out: list[Json] = []
        restorer = self._streams.pop(key, None)
        if restorer is None:
            restore_json(event, self._tmap, self._guard)
            return [self._number(event)]
        rest = restorer.flush()
        if rest:
            flush: Json = {k: event[k] for k in ("item_id", "output_index", "content_index")
                           if k in event}
            out.append(self._number(dict(flush, type=delta_type, delta=rest)))
        event[field] = restorer.released
        out.append(self._number(event))
        return out
