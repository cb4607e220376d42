"""The assembled process leaks no personal value: seeded canaries go through every surface,
then errors, logs, every stored column, the data directory, metrics and the audit export are
searched for them (and their lowercase, percent-encoded and JSON-escaped forms).

The app is built as it is served (bootstrap.initialise + build_services + create_app and the
start-up hooks), driven once per module through httpx's ASGI transport; each test then
checks one place the values could have ended up.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import structlog

from assembled import assembled, client_for, prepared
from resguardo.audit.query import AuditQuery, iter_events, to_jsonl
from resguardo.logs import configure_logging
from resguardo.services import Services

NAME = "Eulalia Canarioz Pérez"
EMAIL = "eulalia.canario@ejemplo-canario.es"
PHONE = "+34 699 123 987"
DNI = "73920416A"  # valid control letter
IBAN = "ES11 2085 7342 3003 9812 7654"  # valid IBAN checksum and Spanish CCC digits
CARD = "4915 7712 3456 7800"  # valid Luhn
ADDRESS = "Calle del Gorrión Canario 17, 3º B, 28013 Madrid"
CANARIES = (NAME, EMAIL, PHONE, DNI, IBAN, CARD, ADDRESS)
TEXT = (f"Cliente {NAME}, email {EMAIL}, teléfono {PHONE}, DNI {DNI}, IBAN {IBAN}, "
        f"tarjeta {CARD}, vive en {ADDRESS}.")

# Fragments that identify the canaries even when a value is cut, reformatted or compacted.
_FRAGMENTS = (
    NAME, "Canarioz", EMAIL, "eulalia.canario", "ejemplo-canario", PHONE, "+34699123987",
    "699123987", "699 123 987", DNI, "73920416", IBAN, IBAN.replace(" ", ""),
    "20857342300398127654", CARD, CARD.replace(" ", ""), ADDRESS, "Gorrión Canario",
    "Gorrion Canario",
)

# Column values the standard allows to hold a canary: they are sealed (AES-GCM) by design.
_SEALED_COLUMNS = frozenset({
    ("vault_records", "ciphertext"), ("gateway_sessions", "ciphertext"),
    ("governance_reviews", "payload"), ("governance_reviews", "outcome"),
})

POLICY = """
version: 1
controller:
  name: "Clínica Norte S.L."
  contact: "privacidad@clinica.test"
  dpo: "dpo@clinica.test"
providers:
  - id: demo
    adapter: demo
    tier: local
    trains_on_data: false
    country: ES
    models: [demo]
workflows:
  - id: lead-scoring
    purpose: Score inbound leads before a salesperson calls.
    legal_basis: legitimate_interests
    categories: [personal, communications, financial]
    providers: [demo]
    endpoints: [chat.completions, responses, models]
    retention_days: 30
    automated_decision: true
    human_review: true
    dpia: DPIA-2026-03
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal, communications, financial]
    providers: [demo]
    endpoints: [chat.completions, responses, embeddings, models, protect, restore, vault]
    retention_days: 30
    collections:
      - {collection: contacts, read: true, write: true}
  - id: intake
    purpose: Clean web-form submissions before storage.
    legal_basis: contract
    categories: [personal, financial]
    providers: [demo]
    endpoints: [protect, restore]
    fields: [cliente.nombre, cliente.email]
collections:
  - id: contacts
    category: personal
    retention_days: 365
    fields: [name, email, phone, national_id, iban, card, address, notes]
"""


def _needles() -> list[tuple[str, bytes]]:
    """(label, bytes) for every fragment in every obvious encoding."""
    out: dict[bytes, str] = {}
    for frag in _FRAGMENTS:
        forms = {
            "raw": frag,
            "lower": frag.lower(),
            "percent": quote(frag, safe=""),
            "percent-plus": quote_plus(frag),
            "percent-lower": quote(frag.lower(), safe=""),
            "json": json.dumps(frag)[1:-1],
            "json-lower": json.dumps(frag.lower())[1:-1],
        }
        for how, form in forms.items():
            out.setdefault(form.encode(), f"{frag!r} ({how})")
    return [(label, needle) for needle, label in out.items()]


NEEDLES = _needles()


def leaks(data: bytes | str) -> list[str]:
    """The canary forms found in ``data`` (empty when it is clean)."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    folded = raw.lower()
    return [label for label, needle in NEEDLES if needle in raw or needle.lower() in folded]


# httpx logs each request of the test's own client; those lines are not the app's.
_TEST_CLIENT = re.compile(r"HTTP Request: [A-Z]+ https://gw/")


@dataclass
class Run:
    """What one pass over every surface left behind."""

    errors: list[tuple[str, int, bytes]] = field(default_factory=list)  # label, status, bytes
    quiet: list[tuple[str, bytes]] = field(default_factory=list)  # 2xx that must not echo
    log: str = ""
    tables: dict[tuple[str, str], list[bytes]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    metrics: bytes = b""
    audit_jsonl: bytes = b""
    audit_count: int = 0


_BASE = "https://gw"


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "demo", "messages": [{"role": "user", "content": content}], **extra}


class Driver:
    """Sends the requests and files each answer as an error or a must-not-echo reply."""

    def __init__(self, client: httpx.AsyncClient, run: Run) -> None:
        self.client = client
        self.run = run

    async def send(self, label: str, method: str, url: str, *, expect: int | None = None,
                   quiet: bool = False, **kw: Any) -> httpx.Response:
        """One request; any status >= 400 is kept as an error to search."""
        response = await self.client.request(method, url, **kw)
        body = await response.aread()
        assert expect is None or response.status_code == expect, (label, response.status_code,
                                                                   body[:300])
        raw = b"".join(k + b": " + v + b"\n" for k, v in response.headers.raw) + body
        if response.status_code >= 400:
            self.run.errors.append((label, response.status_code, raw))
        elif quiet:
            self.run.quiet.append((label, raw))
        return response


async def _key(services: Services, workflow: str, env: str = "live") -> str:
    assert services.auth is not None
    issued = await services.auth.keys.create(workflow, env, name="canary", actor="test")
    return issued.token


async def _gateway(d: Driver, services: Services, live: dict[str, str]) -> None:
    """Chat (plain, stream), responses, embeddings, protect/restore: the successful paths."""
    await d.send("chat", "POST", "/v1/chat/completions", json=_chat(f"Repite: {TEXT}"),
                 headers=live, expect=200)
    await d.send("chat stream", "POST", "/v1/chat/completions",
                 json=_chat(f"Repite: {TEXT}", stream=True), headers=live, expect=200)
    await d.send("chat known", "POST", "/v1/chat/completions", json=_chat(f"Hola {NAME}"),
                 headers={**live, "X-Resguardo-Known":
                          json.dumps({"person": [NAME], "address": [ADDRESS]})}, expect=200)
    await d.send("responses", "POST", "/v1/responses",
                 json={"model": "demo", "input": f"Repite: {TEXT}"}, headers=live, expect=200)
    await d.send("responses stream", "POST", "/v1/responses",
                 json={"model": "demo", "input": TEXT, "stream": True}, headers=live,
                 expect=200)
    await d.send("embeddings", "POST", "/v1/embeddings",
                 json={"model": "demo", "input": [TEXT, NAME]}, headers=live, expect=200,
                 quiet=True)
    protected = await d.send("protect text", "POST", "/v1/protect", json={"text": TEXT},
                             headers=live, expect=200, quiet=True)
    session = protected.json()["session_id"]
    await d.send("restore", "POST", "/v1/restore",
                 json={"session_id": session, "text": protected.json()["text"]},
                 headers=live, expect=200)
    await d.send("protect data", "POST", "/v1/protect", headers=live, expect=200, quiet=True,
                 json={"data": {"cliente": {"nombre": NAME, "email": EMAIL, "iban": IBAN,
                                            "tel": PHONE, "dni": DNI, "dir": ADDRESS}}})
    intake = {"Authorization": f"Bearer {await _key(services, 'intake')}"}
    for key in (NAME, EMAIL, ADDRESS):
        # A map keyed by personal values (e.g. a form keyed by email): the key is dropped.
        await d.send("protect data keyed by a value", "POST", "/v1/protect", headers=intake,
                     expect=200, json={"data": {"cliente": {"nombre": NAME}, key: {"x": 1}}})
    await d.send("restore unknown session", "POST", "/v1/restore", headers=live, expect=404,
                 json={"session_id": EMAIL, "text": TEXT})


async def _vault(d: Driver, live: dict[str, str]) -> None:
    """Create, read and look up a record holding every canary."""
    created = await d.send(
        "vault create", "POST", "/v1/vault/contacts/records", headers=live, expect=201,
        json={"identifiers": {"email": EMAIL, "phone": PHONE, "national_id": DNI},
              "fields": {"name": NAME, "email": EMAIL, "phone": PHONE, "national_id": DNI,
                         "iban": IBAN, "card": CARD, "address": ADDRESS, "notes": TEXT}})
    record_id = created.json()["id"]
    read = await d.send("vault read", "GET", f"/v1/vault/contacts/records/{record_id}",
                        headers=live, expect=200)
    assert NAME in read.text  # the vault gives the values back to the key that may read them
    found = await d.send("vault lookup", "POST", "/v1/vault/contacts/lookup", headers=live,
                         json={"kind": "email", "value": EMAIL.upper()}, expect=200)
    assert found.json()["records"], found.text
    await d.send("vault lookup phone", "POST", "/v1/vault/contacts/lookup", headers=live,
                 json={"kind": "phone", "value": PHONE}, expect=200)
    await d.send("vault read unknown id", "GET", f"/v1/vault/contacts/records/{quote(NAME)}",
                 headers=live)
    await d.send("vault lookup bad phone", "POST", "/v1/vault/contacts/lookup", headers=live,
                 json={"kind": "phone", "value": f"{NAME} {ADDRESS}"})
    await d.send("vault identifiers swapped", "POST", "/v1/vault/contacts/records",
                 headers=live, json={"identifiers": {EMAIL: "email"}, "fields": {"name": NAME}})
    for collection in (NAME, EMAIL, DNI):
        await d.send("vault unknown collection", "POST", f"/v1/vault/{quote(collection)}/lookup",
                     headers=live, json={"kind": "email", "value": EMAIL}, expect=404)
    await d.send("vault field named by a value", "POST", "/v1/vault/contacts/records",
                 headers=live, expect=400, json={"identifiers": {"email": EMAIL},
                                                 "fields": {NAME: "vip", EMAIL: "vip"}})


async def _isolation_and_review(d: Driver, services: Services) -> None:
    """A live subject's identifier in test traffic is blocked; an Art. 22 output is held."""
    test = {"Authorization": f"Bearer {await _key(services, 'triage', 'test')}"}
    for label, content in (("test env email", f"Escribe a {EMAIL.upper()}"),
                           ("test env phone", f"Llama al {PHONE}"),
                           ("test env dni", f"DNI {DNI}")):
        blocked = await d.send(label, "POST", "/v1/chat/completions", json=_chat(content),
                               headers=test)
        assert blocked.status_code == 403, (label, blocked.text)
        assert blocked.json()["error"]["code"] == "live_data_in_test"
    await d.send("test env protect", "POST", "/v1/protect", json={"text": TEXT}, headers=test,
                 expect=403)

    scoring = {"Authorization": f"Bearer {await _key(services, 'lead-scoring')}"}
    held = await d.send(
        "art22 held", "POST", "/v1/chat/completions", json=_chat(f"Repite: {TEXT}"),
        headers={**scoring, "X-Resguardo-Review-Callback":
                 f"https://hooks.example/{quote(EMAIL)}"}, expect=200, quiet=True)
    ticket = held.json()["resguardo_review"]
    assert ticket["status"] == "pending"
    await d.send("art22 poll", "GET", f"/v1/reviews/{ticket['id']}", headers=scoring,
                 expect=200, quiet=True)
    await d.send("art22 stream refused", "POST", "/v1/chat/completions",
                 json=_chat(TEXT, stream=True), headers=scoring, expect=400)
    await d.send("art22 bad callback", "POST", "/v1/chat/completions", json=_chat(TEXT),
                 headers={**scoring, "X-Resguardo-Review-Callback": f"mailto:{EMAIL}"})


async def _bad_input(d: Driver, live: dict[str, str], max_body: int) -> None:
    """Malformed JSON, wrong types, an oversized body and a bad known-values header."""
    json_headers = {**live, "Content-Type": "application/json"}
    for path in ("/v1/chat/completions", "/v1/protect", "/v1/vault/contacts/records",
                 "/v1/vault/contacts/lookup", "/api/admin/login"):
        await d.send(f"malformed json {path}", "POST", path, headers=json_headers,
                     content=f'{{"messages": [{{"content": "{TEXT}"'.encode())
        await d.send(f"oversized {path}", "POST", path, headers=json_headers,
                     content=json.dumps({"text": TEXT * (max_body // len(TEXT) + 2)}).encode(),
                     expect=413)
    wrong_types: list[tuple[str, dict[str, Any]]] = [
        ("/v1/chat/completions", {"model": "demo", "messages": TEXT}),
        ("/v1/chat/completions", {"model": {"name": NAME}, "messages": [{"content": EMAIL}]}),
        ("/v1/chat/completions", {**_chat("hola"), "stream": EMAIL}),
        ("/v1/chat/completions", {"model": NAME, "messages": [{"content": EMAIL}]}),
        ("/v1/responses", {"model": "demo", "input": {"text": TEXT}}),
        ("/v1/embeddings", {"model": "demo", "input": {"email": EMAIL}}),
        ("/v1/protect", {"text": TEXT, "data": {"iban": IBAN}}),
        ("/v1/restore", {"session_id": [PHONE], "text": TEXT}),
        ("/v1/vault/contacts/records", {"identifiers": {"email": [EMAIL]}, "fields": NAME}),
        ("/v1/vault/contacts/records", {"identifiers": {"email": EMAIL}, "fields": {},
                                        "extra": IBAN}),
        ("/v1/vault/contacts/lookup", {"kind": EMAIL, "value": {"dni": DNI}}),
        ("/v1/vault/contacts/lookup", {"kind": "email", "value": EMAIL * 20}),
    ]
    for path, body in wrong_types:
        await d.send(f"wrong type {path}", "POST", path, headers=live, json=body)
    await d.send("bad known header", "POST", "/v1/chat/completions", json=_chat("hola"),
                 headers={**live, "X-Resguardo-Known": f"not json {EMAIL} {PHONE}"})
    await d.send("bad known metadata", "POST", "/v1/chat/completions",
                 json={**_chat("hola"), "metadata": {"resguardo_known": f"{{{NAME}"}},
                 headers=live)


async def _bad_credentials(d: Driver) -> None:
    """Wrong and malformed keys embedding canaries, on the gateway and the vault."""
    tokens = [EMAIL, f"rsg_live_{EMAIL}", f"rsg_live_{'a' * 16}_{DNI.lower()}", PHONE,
              f"sk-{IBAN.replace(' ', '')}", NAME]
    for token in tokens:
        value = f"Bearer {token}".encode()
        for path in ("/v1/chat/completions", "/v1/protect", "/v1/vault/contacts/lookup"):
            await d.send(f"bad key {path}", "POST", path, headers={"Authorization": value},
                         json=_chat(TEXT) if "chat" in path else {"text": TEXT})
        await d.send("bad x-api-key", "GET", "/v1/models", headers={"x-api-key": token.encode()})
        await d.send("bad api-key", "POST", "/v1/embeddings", json={"input": TEXT},
                     headers={"api-key": token.encode()})


async def _routes_and_admin(d: Driver) -> None:
    """Unknown routes with canaries in path and query; admin and console logins."""
    query = f"?email={quote(EMAIL)}&name={quote_plus(NAME)}&tel={quote(PHONE)}&iban={IBAN}"
    for method, path in (("GET", f"/v1/{quote(NAME)}/{EMAIL}"), ("POST", f"/{quote(ADDRESS)}"),
                         ("GET", f"/api/admin/{DNI}"), ("GET", "/v1/chat/completions"),
                         ("DELETE", f"/v1/vault/contacts/records/{quote(NAME)}")):
        await d.send(f"route {method} {path[:20]}", method, path + query)
    for username, password in ((EMAIL, NAME), (NAME, PHONE), (DNI, IBAN), (EMAIL * 5, CARD)):
        await d.send("admin login", "POST", "/api/admin/login",
                     json={"username": username, "password": password})
    await d.send("admin login form-encoded", "POST", "/api/admin/login",
                 content=f"username={quote(EMAIL)}&password={quote(NAME)}",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    page = await d.send("console login page", "GET", "/console/login", expect=200)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None, page.text[:500]
    cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    await d.send("console login", "POST", "/console/login", headers={"Cookie": cookie},
                 data={"csrf_token": match[1], "username": EMAIL, "password": NAME})
    await d.send("console login no token", "POST", "/console/login",
                 data={"username": NAME, "password": PHONE})


async def _exercise(data_dir: Path, run: Run) -> None:
    max_body = 64 * 1024
    settings = await prepared(data_dir, POLICY, RESGUARDO_MAX_BODY_BYTES=str(max_body))
    async with assembled(settings) as (services, asgi):
        async with client_for(asgi, ip="192.0.2.7", base_url=_BASE) as client:
            d = Driver(client, run)
            live = {"Authorization": f"Bearer {await _key(services, 'triage')}"}
            await _vault(d, live)  # first: the isolation guard needs a live subject
            await _gateway(d, services, live)
            await _isolation_and_review(d, services)
            await _bad_input(d, live, max_body)
            await _bad_credentials(d)
            await _routes_and_admin(d)
            metrics = await d.send("metrics", "GET", "/metrics", expect=200)
            run.metrics = metrics.content
        async for record in iter_events(services.db, AuditQuery()):
            run.audit_jsonl += to_jsonl([record])
            run.audit_count += 1
    _dump_store(data_dir / "resguardo.db", run)
    run.files = {str(p.relative_to(data_dir)): p.read_bytes()
                 for p in sorted(data_dir.rglob("*")) if p.is_file()}


def _dump_store(path: Path, run: Run) -> None:
    """Every text/blob value of every table, as bytes, after a WAL checkpoint."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            # Names read from sqlite_master of the test's own database, not from input.
            cursor = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            columns = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
            for i, column in enumerate(columns):
                run.tables[(table, column)] = [
                    v.encode() if isinstance(v, str) else bytes(v)
                    for row in rows if isinstance((v := row[i]), str | bytes)
                ]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One pass of every surface, with logs captured at debug level."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("debug", json=True, stream=stream)
    result = Run()
    try:
        asyncio.run(_exercise(tmp_path_factory.mktemp("canary-data"), result))
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
    result.log = stream.getvalue()
    yield result


def test_the_pass_reached_every_surface(run: Run) -> None:
    """The requests really ran: errors of each kind, logs, an audit trail and stored rows."""
    statuses = {status for _, status, _ in run.errors}
    assert {400, 401, 403, 404, 413} <= statuses, statuses
    assert run.log.count("\n") > 20
    assert run.audit_count > 20
    assert run.tables[("vault_records", "ciphertext")]
    assert run.tables[("gateway_sessions", "ciphertext")]
    assert b"resguardo_requests_total" in run.metrics


def test_no_error_response_carries_a_canary(run: Run) -> None:
    """Every 4xx/5xx body and header set is free of the seeded values."""
    found = {f"{label} [{status}]": hits for label, status, raw in run.errors
             if (hits := leaks(raw))}
    assert not found, found


def test_replies_that_must_not_echo_carry_no_canary(run: Run) -> None:
    """Held Art. 22 output, review polls, protect output and embeddings hold no raw value."""
    found = {label: hits for label, raw in run.quiet if (hits := leaks(raw))}
    assert not found, found


def _ours(line: str) -> bool:
    try:
        event = str(json.loads(line).get("event", ""))
    except ValueError:
        return True  # not a structured line: the app's, so searched
    return _TEST_CLIENT.match(event) is None


def test_logs_carry_no_canary(run: Run) -> None:
    """The captured debug-level log output holds none of the values."""
    bad = [line[:300] for line in run.log.splitlines() if _ours(line) and leaks(line)]
    assert not bad, bad


def test_no_stored_column_carries_a_canary(run: Run) -> None:
    """Every text/blob column of every table, except sealed ciphertexts, is clean."""
    found = {
        f"{table}.{column}": hits
        for (table, column), values in run.tables.items()
        if (table, column) not in _SEALED_COLUMNS
        and (hits := sorted({h for v in values for h in leaks(v)}))
    }
    assert not found, found


def test_no_file_in_the_data_directory_carries_a_canary(run: Run) -> None:
    """The raw database file (free pages included), WAL and every other file are clean."""
    found = {name: hits for name, data in run.files.items() if (hits := leaks(data))}
    assert not found, found


def test_metrics_carry_no_canary(run: Run) -> None:
    """GET /metrics exposes none of the values."""
    assert not leaks(run.metrics)


def test_audit_export_carries_no_canary(run: Run) -> None:
    """The JSONL audit export of every event holds none of the values."""
    bad = [line[:300] for line in run.audit_jsonl.decode().splitlines() if leaks(line)]
    assert not bad, bad
