"""Uvicorn's entry point: build settings, services and the app inside the server process."""

from __future__ import annotations

from fastapi import FastAPI

from resguardo.bootstrap import build_services
from resguardo.http.app import create_app
from resguardo.settings import Settings

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    """Called once per worker process by uvicorn (``factory=True``)."""
    settings = Settings.from_env()
    services = build_services(settings)
    return create_app(services)
