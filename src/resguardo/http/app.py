"""The app factory: one FastAPI app per ``Services``; nothing is built at import time."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from resguardo import __version__
from resguardo.errors import ResguardoError
from resguardo.http.errors import error_body, status_for
from resguardo.http.limits import BodySizeLimit
from resguardo.http.responses import JSONResponse
from resguardo.services import Services

__all__ = ["ROUTER_MODULES", "create_app", "running"]

log = logging.getLogger("resguardo.http")

# Each module exposes ``build_router(services) -> APIRouter``; areas add theirs here.
ROUTER_MODULES: tuple[str, ...] = (
    "resguardo.http.admin_routes",
    "resguardo.http.vault_routes",
    "resguardo.http.audit_routes",
    "resguardo.http.console_routes",
    "resguardo.http.governance_routes",
)


@asynccontextmanager
async def running(services: Services) -> AsyncIterator[Services]:
    """Run the start-up hooks, then the shutdown hooks in reverse order on the way out."""
    for hook in services.extras.get("startup", ()):
        await hook()
    try:
        yield services
    finally:
        for hook in reversed(services.extras.get("shutdown", ())):
            await hook()


def create_app(services: Services) -> FastAPI:
    """Build the HTTP app around already-built services."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with running(services):
            yield

    app = FastAPI(
        title="Resguardo",
        version=__version__,
        default_response_class=JSONResponse,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services

    @app.exception_handler(ResguardoError)
    async def _domain_error(_req: Request, exc: ResguardoError) -> JSONResponse:
        status = status_for(exc)
        extra = {"details": exc.details} if exc.details else {}
        body = error_body(exc.code, exc.message, status, **extra)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        # Only locations and error kinds: pydantic's "input" would echo the caller's value.
        fields = [".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()]
        return JSONResponse(
            error_body("invalid_request", "The request does not match the schema.", 400,
                       details={"fields": fields}),
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, "Not found." if exc.status_code == 404 else "Request refused.",
                       exc.status_code),
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        # The exception text may hold request data: log only its class.
        log.error("unhandled error", extra={"error_class": type(exc).__name__})
        return JSONResponse(
            error_body("internal_error", "Internal error.", 500), status_code=500
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            async with services.db.session() as session:
                await session.execute(text("select 1"))
        except Exception:
            return JSONResponse(
                error_body("not_ready", "The store is not reachable.", 503), status_code=503
            )
        return JSONResponse({"status": "ready"})

    for module_name in ROUTER_MODULES + tuple(services.extras.get("router_modules", ())):
        module = importlib.import_module(module_name)
        app.include_router(module.build_router(services))
        # Optional: a pure ASGI middleware serving the module's hot paths ahead of FastAPI's
        # router (added before the body limit, so the limit still wraps it).
        hot_paths = getattr(module, "HotPaths", None)
        if hot_paths is not None:
            app.add_middleware(hot_paths, services=services)

    app.add_middleware(BodySizeLimit, max_bytes=services.settings.max_body_bytes,
                       on_refused=services.extras.get("on_body_refused"))
    return app
