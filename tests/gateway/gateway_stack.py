"""The gateway tests' stack: a recording aiohttp upstream, the policy, the served gateway."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from loopback import free_port
from resguardo.policy.schema import Policy
from resguardo.providers.demo import demo_reply
from resguardo.providers.responses_shim import (
    chat_stream_to_events,
    chat_to_response,
    responses_to_chat,
)
from resguardo.testing import FrozenClock, MemoryAuditSink

INVENTED = "nuevo.contacto@inventado.es"


@dataclass
class Upstream:
    """An OpenAI/Anthropic-shaped server that records every byte it receives."""

    received: list[bytes] = field(default_factory=list)
    fail_status: int | None = None
    fail_midstream: bool = False
    chunk: int = 3
    port: int = 0

    def seen(self) -> bytes:
        return b"\n".join(self.received)

    def reset(self) -> None:
        self.received.clear()
        self.fail_status = None
        self.fail_midstream = False
        self.chunk = 3

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body = await request.read()
        self.received.append(request.raw_path.encode() + b"\n"
                             + b"\n".join(k + b": " + v for k, v in request.raw_headers)
                             + b"\n\n" + body)
        return orjson.loads(body)

    def _reply_text(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = demo_reply(body)
        content = reply.get("content") or ""
        if "INVENT" in content:
            reply["content"] = content + f" Contacto: {INVENTED}"
        return reply

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = self._reply_text(body)
        return {"id": "chatcmpl-up", "object": "chat.completion", "created": 1,
                "model": body.get("model", ""),
                "choices": [{"index": 0, "message": reply, "logprobs": None,
                             "finish_reason": "tool_calls" if reply.get("tool_calls") else "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}}

    async def _chunks(self, body: dict[str, Any]):  # type: ignore[no-untyped-def]
        reply = self._reply_text(body)
        base = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1,
                "model": body.get("model", "")}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])

        yield chunk({"role": "assistant", "content": ""})
        n = self.chunk
        if reply.get("tool_calls"):
            call = reply["tool_calls"][0]
            yield chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                         "function": {"name": call["function"]["name"],
                                                      "arguments": ""}}]})
            args = call["function"]["arguments"]
            for i in range(0, len(args), n):
                yield chunk({"tool_calls": [{"index": 0,
                                             "function": {"arguments": args[i:i + n]}}]})
            yield chunk({}, "tool_calls")
        else:
            text = reply["content"]
            for i in range(0, len(text), n):
                if self.fail_midstream and i >= len(text) // 2:
                    raise ConnectionResetError
                yield chunk({"content": text[i:i + n]})
            yield chunk({}, "stop")

    async def handle_chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if self.fail_status:
            return web.json_response({"error": {"message": f"bad {body}"}},
                                     status=self.fail_status)
        if not body.get("stream"):
            return web.json_response(self._chat(body))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        try:
            async for c in self._chunks(body):
                await resp.write(b"data: " + orjson.dumps(c) + b"\n\n")
        except ConnectionResetError:
            request.transport.close()  # type: ignore[union-attr]
            return resp
        await resp.write(b"data: [DONE]\n\n")
        return resp

    async def handle_responses(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if self.fail_status:
            return web.json_response({"error": {"message": "bad"}}, status=self.fail_status)
        chat = responses_to_chat(body)
        if not body.get("stream"):
            return web.json_response(chat_to_response(self._chat(chat), body))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        async for ev in chat_stream_to_events(self._chunks(chat), body):
            await resp.write(f"event: {ev['type']}\n".encode() + b"data: "
                             + orjson.dumps(ev) + b"\n\n")
        return resp

    async def handle_embeddings(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return web.json_response({"object": "list", "model": body.get("model", ""), "data": [
            {"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
            for i, _ in enumerate(inputs)], "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    async def handle_messages(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        text = "".join(b.get("text", "") for b in body["messages"][-1]["content"]
                       if b.get("type") == "text")
        reply = f"Echo: {text}"
        if not body.get("stream"):
            return web.json_response({"id": "msg_1", "type": "message", "role": "assistant",
                                      "model": body["model"], "stop_reason": "end_turn",
                                      "content": [{"type": "text", "text": reply}],
                                      "usage": {"input_tokens": 3, "output_tokens": 3}})
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        events: list[dict[str, Any]] = [
            {"type": "message_start", "message": {"id": "msg_1", "model": body["model"]}},
            {"type": "content_block_start", "index": 0,
             "content_block": {"type": "text", "text": ""}}]
        events += [{"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": reply[i:i + 4]}}
                   for i in range(0, len(reply), 4)]
        events += [{"type": "content_block_stop", "index": 0},
                   {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
                   {"type": "message_stop"}]
        for ev in events:
            await resp.write(f"event: {ev['type']}\ndata: ".encode() + orjson.dumps(ev)
                             + b"\n\n")
        return resp


def _serve_upstream(up: Upstream) -> None:
    ready = threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", up.handle_chat)
        app.router.add_post("/v1/responses", up.handle_responses)
        app.router.add_post("/v1/embeddings", up.handle_embeddings)
        app.router.add_post("/v1/messages", up.handle_messages)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        up.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)


def make_policy(up_port: int) -> Policy:
    """Workflows for every gateway behaviour under test."""
    base = f"http://127.0.0.1:{up_port}/v1"
    dead = f"http://127.0.0.1:{free_port()}/v1"
    all_eps = ["chat.completions", "responses", "embeddings", "models", "protect", "restore"]
    cats = ["personal", "financial", "special"]

    def wf(wid: str, providers: list[str], **extra: Any) -> dict[str, Any]:
        return dict(id=wid, purpose="Test purpose", legal_basis="contract", categories=cats,
                    providers=providers, endpoints=all_eps, **extra)

    def prov(pid: str, url: str, **extra: Any) -> dict[str, Any]:
        d = dict(id=pid, adapter="openai-compatible", base_url=url, tier="enterprise",
                 trains_on_data=False, country="ES", models=["gpt-4o-mini"],
                 credential={"env": "UPSTREAM_KEY"}, max_retries=0, timeout_seconds=5)
        d.update(extra)
        return d

    return Policy.model_validate({
        "controller": {"name": "Test SL", "contact": "dpo@test.invalid"},
        "providers": [
            prov("upstream", base),
            prov("dead", dead, max_retries=1),
            prov("consumer", base, tier="consumer", models=["cheap-model"]),
            prov("claude", f"http://127.0.0.1:{up_port}", adapter="anthropic",
                 models=["claude-x"]),
            dict(id="demo", adapter="demo", tier="local", trains_on_data=False, country="ES",
                 models=["demo"]),
        ],
        "workflows": [
            wf("crm", ["upstream"]),
            wf("fallback", ["dead", "upstream"]),
            wf("strict", ["consumer"]),
            wf("blocker", ["upstream"], reply_scan="block"),
            wf("quiet", ["upstream"], reply_scan="off"),
            wf("fakes", ["upstream"], pseudonymization="surrogates"),
            wf("anthro", ["claude"]),
            wf("demo", ["demo"]),
            wf("forms", ["upstream"], fields=["nombre", "email", "pedido.importe"]),
        ],
    })


KEYS = {f"rg-{w}": w for w in ("crm", "fallback", "strict", "blocker", "quiet", "fakes",
                               "anthro", "demo", "forms")}


@dataclass
class Stack:
    upstream: Upstream
    audit: MemoryAuditSink
    clock: FrozenClock
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"
