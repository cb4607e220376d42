"""The whole process as `serve` builds it, for tests that check how the areas work together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from resguardo.bootstrap import build_services, initialise
from resguardo.clock import Clock
from resguardo.http.app import create_app, running
from resguardo.services import Services
from resguardo.settings import Settings


async def prepared(data_dir: Path, policy_yaml: str, **env: str) -> Settings:
    """An initialised data directory whose policy is ``policy_yaml``."""
    settings = Settings.from_env({"RESGUARDO_DATA_DIR": str(data_dir), **env})
    await initialise(settings)
    settings.policy_path.write_text(policy_yaml, encoding="utf-8")
    return settings


@asynccontextmanager
async def assembled(
    settings: Settings, *, clock: Clock | None = None, env: Mapping[str, str] | None = None
) -> AsyncIterator[tuple[Services, FastAPI]]:
    """bootstrap.build_services + create_app with its start-up and shutdown hooks run."""
    services = build_services(settings, env=env or {}, clock=clock)
    app = create_app(services)
    async with running(services):
        yield services, app


def client_for(
    app: FastAPI, *, ip: str = "127.0.0.1", base_url: str = "http://gw"
) -> httpx.AsyncClient:
    """An httpx client speaking to ``app`` in process, as if from ``ip``."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)
