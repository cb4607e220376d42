"""The app factory: health, readiness, one error shape, body limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from resguardo.http.app import create_app
from resguardo.policy.schema import Policy
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database


@pytest.fixture
async def client(sqlite_database: Database, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, max_body_bytes=1024)
    policy = Policy(controller={"name": "Acme SL", "contact": "dpo@acme.test"})
    app = create_app(Services(settings=settings, policy=policy, db=sqlite_database))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_liveness_answers_ok(client: httpx.AsyncClient) -> None:
    """/healthz answers without touching the store."""
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readiness_checks_the_store(client: httpx.AsyncClient) -> None:
    """/readyz answers ready when the database answers."""
    response = await client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"


async def test_unknown_route_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    """Even framework errors come back as {"error": {"code", "message"}}."""
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert set(response.json()["error"]) >= {"code", "message"}


async def test_body_over_the_limit_is_refused_with_413(client: httpx.AsyncClient) -> None:
    """A declared body above max_body_bytes is refused before it is read."""
    response = await client.post("/healthz", content=b"x" * 2048)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "xxxx" not in response.text
