"""Helpers shared by the auth HTTP tests: a signed-in admin client."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp

from resguardo.auth.bundle import AuthServices
from resguardo.policy.schema import Controller, Policy, Provider, Workflow
from resguardo.policy.schema import WorkflowCollectionAccess as Access
from resguardo.testing import FrozenClock

PASSWORD = "correct horse battery"


class AdminClient:
    """An httpx client signed in as one admin, remembering its CSRF token."""

    def __init__(self, client: Any, csrf: str | None) -> None:
        self.client = client
        self.csrf = csrf

    def headers(self, csrf: bool = True) -> dict[str, str]:
        """The CSRF header (or none)."""
        return {"X-CSRF-Token": self.csrf} if csrf and self.csrf else {}




async def sign_in(app: Any, clock: FrozenClock, username: str, role: str,
                  *, full: bool = True) -> AdminClient:
    """Create (if needed) and enrol an admin through the services, then sign in over HTTP."""
    auth: AuthServices = app.state.services.auth
    try:
        info = await auth.admins.find(username)
        seed = SEEDS[info.admin_id]
    except Exception:  # first use of this username
        info = await auth.admins.create(username, "correct horse battery", role, actor="cli",
                                        from_cli=True)
        seed = (await auth.admins.begin_enrolment(info.admin_id)).seed
        await auth.admins.confirm_enrolment(info.admin_id, pyotp.TOTP(seed).at(clock.now()))
        SEEDS[info.admin_id] = seed
    clock.advance(30)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url="https://testserver")
    r = await client.post("/api/admin/login",
                          json={"username": username, "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    if full:
        r = await client.post("/api/admin/login/totp", headers={"X-CSRF-Token": csrf},
                              json={"code": pyotp.TOTP(seed).at(clock.now())})
        assert r.status_code == 200, r.text
        csrf = r.json()["csrf_token"]
    return AdminClient(client, csrf)


SEEDS: dict[str, str] = {}


def make_policy() -> Policy:
    """Two workflows with different allowances, one EU provider, one local."""
    return Policy(
        controller=Controller(name="Acme SL", contact="dpo@acme.example"),
        providers=(
            Provider(id="openai-eu", adapter="openai-compatible", tier="enterprise",
                     trains_on_data=False, country="IE", models=("gpt-4o", "gpt-4o-mini")),
            Provider(id="local", adapter="ollama", tier="local", trains_on_data=False,
                     country="ES", models=("llama3",)),
        ),
        collections=(),
        workflows=(
            Workflow(id="leads", purpose="Qualify inbound leads", legal_basis="contract",
                     categories=("personal", "financial"), providers=("openai-eu", "local"),
                     endpoints=("chat.completions", "models", "vault"),
                     collections=(Access(collection="leads", read=True, write=True),)),
            Workflow(id="voice", purpose="Transcribe calls", legal_basis="contract",
                     categories=("personal",), providers=("local",),
                     endpoints=("chat.completions",), environments=("live",),
                     collections=(Access(collection="calls", read=True, write=False),)),
        ),
    )
