"""Every permission is refused without it: each route guarded by ``require(permission)``,
called by a fully signed-in admin whose role lacks that permission, answers 403
``role_forbidden`` and changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from assembled import assembled, prepared
from auth.auth_helpers import sign_in
from resguardo.auth.permissions import ROLE_PERMISSIONS, Role
from resguardo.http.admin_routes import require
from resguardo.testing import FrozenClock

POLICY = """
version: 1
controller: {name: "Acme S.L.", contact: "dpo@acme.test"}
providers:
  - {id: demo, adapter: demo, tier: local, trains_on_data: false, country: ES, models: [demo]}
workflows:
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal]
    providers: [demo]
    retention_days: 30
"""


def _permissions(dependant: Any) -> Iterator[str]:
    call = getattr(dependant, "call", None)
    permission = getattr(call, "permission", None)
    if permission is not None:
        yield str(permission)
    for sub in getattr(dependant, "dependencies", ()):
        yield from _permissions(sub)


def _api_routes(routes: Any) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        else:  # an included router (FastAPI keeps the original router behind it)
            original = getattr(route, "original_router", None)
            if original is not None:
                yield from _api_routes(original.routes)


def guarded_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path, permission) for every route whose dependencies call ``require``."""
    out = []
    for route in _api_routes(app.routes):
        for permission in set(_permissions(route.dependant)):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, route.path, permission))
    return sorted(out)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, FrozenClock]]:
    settings = await prepared(tmp_path, POLICY)
    clock = FrozenClock()
    async with assembled(settings, clock=clock) as (_services, asgi):
        yield asgi, clock


async def test_every_guarded_route_refuses_each_role_without_its_permission(
    app: tuple[FastAPI, FrozenClock],
) -> None:
    """403 role_forbidden for every (route, role lacking the permission) pair."""
    asgi, clock = app
    routes = guarded_routes(asgi)
    permissions_used = {p for _m, _p, p in routes}
    # Every permission that guards whole routes is found; owners:write is checked inside the
    # admin handlers (the target's role decides) and policy:read only by the console pages.
    expected = {str(p) for perms in ROLE_PERMISSIONS.values() for p in perms}
    assert expected - permissions_used <= {"owners:write", "policy:read"}
    checked = 0
    for role in Role:
        granted = {str(p) for p in ROLE_PERMISSIONS[role]}
        admin = await sign_in(asgi, clock, f"user-{role.value}", role.value)
        for method, path, permission in routes:
            if permission in granted:
                continue
            url = re.sub(r"\{[^}]+\}", "x1", path)
            response = await admin.client.request(
                method, url, headers=admin.headers(), json={} if method != "GET" else None
            )
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.json()["error"]["code"] == "role_forbidden", (role, method, path)
            checked += 1
        await admin.client.aclose()
    assert checked > 0


def test_require_marks_its_dependency_with_the_permission() -> None:
    """The introspection this test relies on: require(p) carries p."""
    assert require("keys:read").permission == "keys:read"  # type: ignore[attr-defined]
