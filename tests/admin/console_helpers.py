"""Console test set-up: a policy, the real app wired with audit and auth, a form client."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx
import pyotp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from resguardo.admin.governance import INCIDENTS_KEY, REVIEW_KEY
from resguardo.audit.hashing import SubjectHasher
from resguardo.audit.wiring import build_audit
from resguardo.auth.bundle import build_auth_services
from resguardo.auth.passwords import Argon2Params
from resguardo.clock import Clock
from resguardo.http.app import create_app
from resguardo.policy.schema import Controller, Policy, Provider, Workflow
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.testing import MemoryKeyProvider

PEPPER = b"c" * 32
PASSWORD = "correct horse battery"
BASE = "https://testserver"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_policy() -> Policy:
    """Three providers (EU, US under SCCs, local) and two workflows, one with an Art. 22 flag."""
    return Policy(
        controller=Controller(name="Acme Asesores SL", contact="dpo@acme.example"),
        providers=(
            Provider(id="openai-eu", adapter="openai-compatible", tier="enterprise",
                     trains_on_data=False, country="IE", region="eu-west",
                     models=("gpt-4o-mini",)),
            Provider(id="us-api", adapter="openai-compatible", tier="enterprise",
                     trains_on_data=False, country="US", transfer_mechanism="scc",
                     models=("gpt-4o",)),
            Provider(id="local", adapter="ollama", tier="local", trains_on_data=False,
                     country="ES", models=("llama3",)),
        ),
        workflows=(
            Workflow(id="leads", purpose="Qualify inbound leads",
                     legal_basis="legitimate_interests",
                     categories=("personal", "financial"), providers=("openai-eu", "local"),
                     automated_decision=True, human_review=True),
            Workflow(id="voice", purpose="Transcribe support calls", legal_basis="contract",
                     categories=("personal",), providers=("local",)),
        ),
    )


def wire(db: Database, clock: Clock, data_dir: Path, policy: Policy | None = None) -> Services:
    """Services with the real audit log (auth writes to it) and cheap argon2."""
    services = Services(settings=Settings(data_dir=data_dir), policy=policy or make_policy(),
                        db=db, clock=clock)
    parts = build_audit(services, signing_key=Ed25519PrivateKey.generate(),
                        subject_hasher=SubjectHasher(b"s" * 32), checkpoint_interval=None)
    services.auth = build_auth_services(db=db, policy=services.policy, clock=clock,
                                        pepper=PEPPER, audit_sink=parts.log,
                                        argon2=Argon2Params.fast_for_tests())
    return services


async def start(services: Services) -> FastAPI:
    """The real app, with the start-up hooks run (httpx's transport runs no lifespan)."""
    app = create_app(services)
    for hook in services.extras.get("startup", ()):
        await hook()
    return app


async def make_admin(services: Services, clock: Any, username: str, role: str, *,
                     enrol: bool = True) -> str | None:
    """Create an admin through the domain functions; returns the TOTP seed when enrolled."""
    assert services.auth is not None
    info = await services.auth.admins.create(username, PASSWORD, role, actor="cli",
                                             from_cli=True)
    if not enrol:
        return None
    seed: str = (await services.auth.admins.begin_enrolment(info.admin_id)).seed
    await services.auth.admins.confirm_enrolment(info.admin_id, pyotp.TOTP(seed).at(clock.now()))
    clock.advance(30)  # the enrolment code is spent: sign-ins use the next step
    return seed


def token_in(page: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _TOKEN.search(page)
    assert match, "no form token on the page"
    return html.unescape(match.group(1))


class FormClient:
    """An httpx client that fills console forms like a browser (cookies, tokens, 303s)."""

    def __init__(self, app: FastAPI) -> None:
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
        self.csrf = ""

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        """GET without following redirects."""
        return await self.http.get(url, **kw)

    async def post(self, url: str, data: dict[str, str], *, csrf: bool = True,
                   **kw: Any) -> httpx.Response:
        """POST a form, adding the session's token unless told not to."""
        if csrf and "csrf_token" not in data:
            data = {"csrf_token": self.csrf, **data}
        return await self.http.post(url, data=data, **kw)

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        """Fill the password form (fetching its login token first)."""
        page = await self.get("/console/login")
        return await self.post("/console/login", {"csrf_token": token_in(page.text),
                                                  "username": username, "password": password})

    async def sign_in(self, username: str, seed: str, clock: Any) -> None:
        """Password then TOTP; leaves the client with a full session and its form token."""
        r = await self.login(username)
        assert r.status_code == 303 and r.headers["location"] == "/console/totp", r.text
        page = await self.get("/console/totp")
        self.csrf = token_in(page.text)
        r = await self.post("/console/totp", {"code": pyotp.TOTP(seed).at(clock.now())})
        assert r.status_code == 303 and r.headers["location"] == "/console/dashboard", r.text
        self.csrf = token_in((await self.get("/console/dashboard")).text)


async def install_governance(services: Services) -> tuple[Any, Any]:
    """The real review queue and breach register, placed where the console looks for them."""
    from resguardo.crypto.datakeys import DataKeys
    from resguardo.crypto.encryptor import Encryptor
    from resguardo.governance.incidents import BreachRegister
    from resguardo.governance.observed import DbAuditReader
    from resguardo.governance.review import ReviewQueue

    sink = services.extras["audit_sink"]
    keys = DataKeys(services.db, MemoryKeyProvider(clock=services.clock), services.clock)
    queue = ReviewQueue(services.db, services.policy, services.clock, sink, Encryptor(keys))
    register = BreachRegister(services.db, services.policy, services.clock, sink,
                              DbAuditReader(services.db), keys=services.auth.keys)
    services.extras[REVIEW_KEY] = queue
    services.extras[INCIDENTS_KEY] = register
    return queue, register
