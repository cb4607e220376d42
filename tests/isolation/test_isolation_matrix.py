"""Isolation at every boundary: a test key never touches live keys, vault, sessions,
live-only providers or live audit entries. Real components, no mocks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from resguardo.audit.events import AuditEvent
from resguardo.audit.log import DbAuditLog
from resguardo.audit.query import AuditQuery, query_events
from resguardo.auth.bundle import build_auth_services
from resguardo.auth.passwords import Argon2Params
from resguardo.auth.principal import Principal
from resguardo.errors import Forbidden, NotFound, PolicyDenied, Unauthenticated
from resguardo.gateway.decide import listable_models, plan
from resguardo.gateway.pipeline import Gateway
from resguardo.gateway.protect import ProtectService
from resguardo.gateway.sessions import MemorySessionStore
from resguardo.policy.schema import Policy
from resguardo.providers.base import Credentials
from resguardo.providers.registry import build_adapters
from resguardo.providers.transport import AiohttpTransport
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink, RegexDetector
from resguardo.vault.testkit import memory_vault_stack

WORKFLOW = "crm"


def _policy() -> Policy:
    return Policy.model_validate({
        "controller": {"name": "Acme SL", "contact": "dpo@acme.example"},
        "providers": [
            {"id": "openai-live", "adapter": "openai-compatible", "tier": "enterprise",
             "trains_on_data": False, "country": "IE", "models": ["gpt-4o"],
             "base_url": "http://127.0.0.1:9/v1", "live_only": True},
            {"id": "sandbox", "adapter": "demo", "tier": "local", "trains_on_data": False,
             "country": "ES", "models": ["demo"]},
        ],
        "collections": [{"id": "leads", "category": "personal", "retention_days": 30,
                         "fields": ["name", "email", "notes"]}],
        "workflows": [
            {"id": WORKFLOW, "purpose": "CRM follow-ups", "legal_basis": "contract",
             "categories": ["personal"], "providers": ["openai-live", "sandbox"],
             "endpoints": ["chat.completions", "models", "protect", "restore", "vault"],
             "collections": [{"collection": "leads", "read": True, "write": True}]},
            {"id": "live-only-flow", "purpose": "Live mailing", "legal_basis": "contract",
             "categories": ["personal"], "providers": ["openai-live"],
             "endpoints": ["chat.completions"]},
        ],
    })


def _key(env: str, workflow: str = WORKFLOW) -> Principal:
    return Principal(key_id=f"k_{env}", workflow_id=workflow, environment=env)


async def test_test_key_is_refused_by_a_live_deployment(sqlite_database: Database,
                                                        clock: FrozenClock) -> None:
    """A test key is not served where only live runs, and can't pass as a live key."""
    sink = MemoryAuditSink()
    common = dict(db=sqlite_database, policy=_policy(), clock=clock, pepper=b"p" * 32,
                  audit_sink=sink, argon2=Argon2Params.fast_for_tests())
    issuer = build_auth_services(**common)  # type: ignore[arg-type]
    issued = await issuer.keys.create(WORKFLOW, "test")
    live_only = build_auth_services(**common, environments=("live",))  # type: ignore[arg-type]
    try:
        with pytest.raises(Forbidden) as info:
            await live_only.authenticator.authenticate(f"Bearer {issued.token}", "127.0.0.1")
        assert info.value.code == "wrong_environment"
        forged = issued.token.replace("rsg_test_", "rsg_live_", 1)
        with pytest.raises(Unauthenticated):
            await issuer.authenticator.authenticate(f"Bearer {forged}", "127.0.0.1")
        principal = await issuer.authenticator.authenticate(f"Bearer {issued.token}", None)
        assert principal.environment == "test"
    finally:
        await issuer.authenticator.aclose()
        await live_only.authenticator.aclose()


async def test_test_key_cannot_read_live_vault_data(database: Database,
                                                    clock: FrozenClock) -> None:
    """Live records are 'not found' for a test key, by id and by the subject's identifier."""
    stack = await memory_vault_stack(database, clock, MemoryAuditSink(), policy=_policy())
    vault = stack.vault
    live_grant = await vault.authorize(_key("live"), "leads", "write")
    record = await vault.create(live_grant, {"email": "real.customer@gmail.com"},
                                {"name": "Real Customer"})
    test_grant = await vault.authorize(_key("test"), "leads", "write")
    assert test_grant.environment == "test"
    with pytest.raises(NotFound):
        await vault.read(test_grant, record.id)
    with pytest.raises(NotFound):
        await vault.update(test_grant, record.id, {"notes": "overwritten"})
    with pytest.raises(NotFound):
        await vault.delete(test_grant, record.id)
    assert await vault.list_by_subject(test_grant, "email", "real.customer@gmail.com") == []
    assert await vault.find_subject("test", "email", "real.customer@gmail.com") is None
    # The same identifier written from test makes a separate test subject, not a link.
    fake = await vault.create(test_grant, {"email": "real.customer@gmail.com"}, {"name": "T"})
    assert fake.subject_id != record.subject_id
    assert (await vault.read(live_grant, record.id)).fields == {"name": "Real Customer"}


def _gateway(policy: Policy, clock: FrozenClock, sink: MemoryAuditSink, tmp: Path) -> Gateway:
    return Gateway(policy=policy, detector=RegexDetector(),
                   adapters=build_adapters(policy, AiohttpTransport()),
                   credentials=Credentials({}, tmp), audit=sink, clock=clock)


async def test_test_key_cannot_resolve_live_sessions(clock: FrozenClock, tmp_path: Path) -> None:
    """A protect session minted by a live key does not restore for a test key."""
    policy, sink = _policy(), MemoryAuditSink()
    service = ProtectService(_gateway(policy, clock, sink, tmp_path), MemorySessionStore(clock))
    minted = await service.protect(_key("live"), {"text": "Escribe a ana.ruiz@gmail.com"}, None)
    assert "ana.ruiz@gmail.com" not in minted["text"]
    body = {"session_id": minted["session_id"], "text": minted["text"]}
    with pytest.raises(NotFound) as info:
        await service.restore(_key("test"), dict(body))
    assert info.value.code == "session_not_found"
    with pytest.raises(NotFound):
        await service.protect(_key("test"), {"session_id": minted["session_id"],
                                             "text": "más datos"}, None)
    restored = await service.restore(_key("live"), dict(body))
    assert restored["text"] == "Escribe a ana.ruiz@gmail.com"


async def test_test_key_never_reaches_a_live_only_provider(clock: FrozenClock,
                                                           tmp_path: Path) -> None:
    """Routing drops live-only providers for test keys; the sandbox answers instead."""
    policy, sink = _policy(), MemoryAuditSink()
    workflow = policy.workflow(WORKFLOW)
    assert workflow is not None
    live_targets = plan(policy, _key("live"), workflow, ["personal"], "gpt-4o")
    assert live_targets[0].provider.id == "openai-live"
    test_targets = plan(policy, _key("test"), workflow, ["personal"], "gpt-4o")
    assert [t.provider.id for t in test_targets] == ["sandbox"]
    assert listable_models(policy, _key("test"), workflow) == ["demo"]
    only_live = policy.workflow("live-only-flow")
    assert only_live is not None
    with pytest.raises(PolicyDenied) as info:
        plan(policy, _key("test", "live-only-flow"), only_live, ["personal"], None)
    assert info.value.details["reason"] == "provider_live_only"
    gateway = _gateway(policy, clock, sink, tmp_path)
    reply = await gateway.handle(_key("test"), "chat", {
        "model": "gpt-4o", "messages": [{"role": "user", "content": "hola"}]}, None)
    assert isinstance(reply, dict) and reply["model"] == "demo"
    assert [e.data.get("provider") for e in sink.events if e.kind == "gateway.response"] == [
        "sandbox"]


async def _record_live_test_live(database: Database, clock: FrozenClock) -> None:
    """Seal three gateway events, in the live, test and live environments."""
    log = DbAuditLog(database, clock)
    try:
        for env in ("live", "test", "live"):
            await log.record(AuditEvent(kind="gateway.request", outcome="forwarded",
                                        workflow=WORKFLOW, environment=env))
    finally:
        await log.aclose()


async def test_audit_events_keep_their_environment(database: Database,
                                                   clock: FrozenClock) -> None:
    """Every sealed audit record carries the environment it happened in."""
    await _record_live_test_live(database, clock)
    records = await query_events(database, AuditQuery(workflow=WORKFLOW))
    assert [r["environment"] for r in records] == ["live", "test", "live"]


async def test_audit_queries_filter_by_environment(database: Database,
                                                   clock: FrozenClock) -> None:
    """An audit query for one environment returns only that environment's events, paged."""
    await _record_live_test_live(database, clock)
    query = AuditQuery(workflow=WORKFLOW, environment="test")
    assert [r["environment"] for r in await query_events(database, query)] == ["test"]
    live = AuditQuery(workflow=WORKFLOW, environment="live", limit=1)
    first = await query_events(database, live)
    rest = await query_events(database, dataclasses.replace(live, after_seq=first[-1]["seq"]))
    assert [r["environment"] for r in first + rest] == ["live", "live"]
    assert first[0]["seq"] < rest[0]["seq"]


async def test_tampered_environment_column_fails_verification(database: Database,
                                                              clock: FrozenClock) -> None:
    """Moving an event to another environment in its index column is caught by verify."""
    from sqlalchemy import update

    from resguardo.audit.tables import AuditEventRow
    from resguardo.audit.verify import verify_log

    await _record_live_test_live(database, clock)
    assert (await verify_log(database, None)).ok
    async with database.session() as session:
        await session.execute(
            update(AuditEventRow).where(AuditEventRow.seq == 2).values(environment="live"))
    report = await verify_log(database, None)
    assert [(f.kind, f.seq) for f in report.findings] == [("modified", 2)]
