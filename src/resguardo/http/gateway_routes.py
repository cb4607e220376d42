"""OpenAI-compatible routes: thin Starlette handlers over ``resguardo.gateway``.

Plain routes (no pydantic models for whole bodies, no dependency injection): the body is
parsed once with orjson and checked only for the shape the pipeline relies on.

The same handlers are served twice: as ordinary routes (so FastAPI still answers 405s,
trailing slashes and the like) and by :class:`HotPaths`, a pure ASGI middleware that takes
an exact method and path before FastAPI's router sees the request. Measured under uvicorn,
FastAPI's included-router matching and its per-route layers cost about 0.3 ms of CPU per
request, a third of the whole gateway's budget (bench/bench_gateway.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from resguardo.auth.principal import Authenticator, Principal
from resguardo.errors import InputError, ResguardoError
from resguardo.gateway.pipeline import REVIEW_CALLBACK_HEADER, Gateway
from resguardo.gateway.protect import ProtectService
from resguardo.gateway.scan import KNOWN_HEADER
from resguardo.http.errors import error_body, status_for
from resguardo.monitor.metrics import Metrics
from resguardo.providers.base import Endpoint
from resguardo.services import Services

__all__ = ["BODY_REFUSED_EXTRA", "HotPaths", "body_refused_counter", "build_router"]

Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# The metrics' endpoint names (the policy's) for each /v1 path.
_METRIC_ENDPOINTS: Mapping[str, str] = {
    "/v1/chat/completions": "chat.completions", "/v1/responses": "responses",
    "/v1/embeddings": "embeddings", "/v1/models": "models", "/v1/protect": "protect",
    "/v1/restore": "restore",
}
# Where ``build_router`` leaves the body-size limit's hook (http/app.py passes it on).
BODY_REFUSED_EXTRA = "on_body_refused"


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    # Azure-style and Anthropic-style clients put the key in their own header.
    return request.headers.get("api-key") or request.headers.get("x-api-key")


async def _body(request: Request) -> Json:
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InputError("The body is not valid JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InputError("The body must be a JSON object.")
    return body


def _check(body: Json, endpoint: Endpoint) -> None:
    # Only what the pipeline relies on; the provider validates the rest.
    if "model" in body and not isinstance(body["model"], str):
        raise InputError("'model' must be a string.", details={"fields": ["model"]})
    if endpoint == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) for m in messages
        ):
            raise InputError("'messages' must be a non-empty list of objects.",
                             details={"fields": ["messages"]})
    elif endpoint == "responses":
        if not isinstance(body.get("input"), str | list):
            raise InputError("'input' must be a string or a list.", details={"fields": ["input"]})
    elif endpoint == "embeddings" and not isinstance(body.get("input"), str | list):
        raise InputError("'input' must be a string or a list.", details={"fields": ["input"]})
    if "stream" in body and not isinstance(body["stream"], bool):
        raise InputError("'stream' must be a boolean.", details={"fields": ["stream"]})


def _handlers(services: Services) -> list[tuple[str, str, Handler]]:
    """(method, path, handler) for every /v1 endpoint, bound to the installed gateway."""
    gateway: Gateway = services.extras["gateway"]
    protect: ProtectService = services.extras["protect"]
    auth: Authenticator = services.extras["authenticator"]
    metrics: Metrics | None = services.extras.get("metrics")

    async def principal_of(request: Request, path: str) -> Principal:
        client = request.client
        try:
            return await auth.authenticate(_bearer(request), client.host if client else None)
        except ResguardoError as exc:
            refused(path, exc)
            raise

    async def body_of(request: Request, path: str, endpoint: Endpoint | None = None) -> Json:
        try:
            body = await _body(request)
            if endpoint is not None:
                _check(body, endpoint)
        except ResguardoError as exc:
            refused(path, exc)
            raise
        return body

    def refused(path: str, exc: ResguardoError) -> None:
        # The gateway counts what reaches it; this counts what never did (code words only).
        if metrics is not None:
            metrics.refused(_METRIC_ENDPOINTS[path], exc.code)

    def llm(endpoint: Endpoint, path: str) -> Handler:
        async def handler(request: Request) -> Response:
            principal = await principal_of(request, path)
            body = await body_of(request, path, endpoint)
            result = await gateway.handle(principal, endpoint, body,
                                          request.headers.get(KNOWN_HEADER),
                                          request.headers.get(REVIEW_CALLBACK_HEADER))
            if isinstance(result, dict):
                return _json(result)
            return StreamingResponse(result, media_type="text/event-stream",
                                     headers=_SSE_HEADERS)

        return handler

    async def models(request: Request) -> Response:
        return _json(gateway.models(await principal_of(request, "/v1/models")))

    async def protect_route(request: Request) -> Response:
        principal = await principal_of(request, "/v1/protect")
        return _json(await protect.protect(principal, await body_of(request, "/v1/protect"),
                                           request.headers.get(KNOWN_HEADER)))

    async def restore_route(request: Request) -> Response:
        principal = await principal_of(request, "/v1/restore")
        return _json(await protect.restore(principal, await body_of(request, "/v1/restore")))

    return [
        ("POST", "/v1/chat/completions", llm("chat", "/v1/chat/completions")),
        ("POST", "/v1/responses", llm("responses", "/v1/responses")),
        ("POST", "/v1/embeddings", llm("embeddings", "/v1/embeddings")),
        ("GET", "/v1/models", models),
        ("POST", "/v1/protect", protect_route),
        ("POST", "/v1/restore", restore_route),
    ]


def build_router(services: Services) -> APIRouter:
    """The /v1 routes, bound to the gateway built by ``install_gateway``."""
    router = APIRouter()
    for method, path, handler in _handlers(services):
        router.add_route(path, handler, methods=[method])
    hook = body_refused_counter(services.extras.get("metrics"))
    if hook is not None:
        services.extras[BODY_REFUSED_EXTRA] = hook
    return router


def body_refused_counter(metrics: Metrics | None) -> Callable[[str], None] | None:
    """A hook for ``BodySizeLimit``: counts a 413 on a /v1 gateway path (others ignored)."""
    if metrics is None:
        return None

    def count(path: str) -> None:
        endpoint = _METRIC_ENDPOINTS.get(path)
        if endpoint is not None:
            metrics.refused(endpoint, "payload_too_large")

    return count


def _error_response(exc: ResguardoError) -> Response:
    # The same body as the app's ResguardoError handler (http/app.py).
    status = status_for(exc)
    extra = {"details": exc.details} if exc.details else {}
    return _json(error_body(exc.code, exc.message, status, **extra), status)


class HotPaths:
    """Pure ASGI: serves the /v1 endpoints on an exact method and path, else passes on.

    Sits inside the body-size limit and the server-error handler, so a 413 and an
    unexpected error's 500 are the same as on the ordinary routes; domain errors are
    mapped here exactly as the app's handler maps them.
    """

    def __init__(self, app: ASGIApp, *, services: Services) -> None:
        self.app = app
        self._routes = {(m, p): h for m, p, h in _handlers(services)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            handler = self._routes.get((scope["method"], path))
            if handler is not None:
                request = Request(scope, receive)
                try:
                    response = await handler(request)
                except ResguardoError as exc:
                    response = _error_response(exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
