"""Metrics use fixed label sets; canary personal values never reach /metrics or the audit table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Request
from sqlalchemy import text

from resguardo.audit.events import AuditEvent
from resguardo.audit.hashing import SubjectHasher
from resguardo.audit.wiring import AuditComponents, build_audit
from resguardo.auth.principal import AdminPrincipal
from resguardo.errors import AuditWriteFailed
from resguardo.http.app import create_app
from resguardo.monitor.anomaly import RequestObservation
from resguardo.monitor.metrics import Metrics
from resguardo.policy.schema import AdapterKind, Controller, Policy, Provider, Tier, Workflow
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.testing import FrozenClock

NAME = "Ana Canario Pérez"
CANARIES = ["ana.canario@example.es", NAME, "12345678Z", "+34 612 345 678",
            "ES91 2100 0418 4502 0005 1332", "4111111111111111"]

POLICY = Policy(
    controller=Controller(name="Acme SL", contact="privacy team"),
    providers=(Provider(id="mistral", adapter=AdapterKind.OPENAI, tier=Tier.ENTERPRISE,
                        trains_on_data=False, country="FR"),),
    workflows=(Workflow(id="leads", purpose="lead qualification"),),
)


async def _auditor(_request: Request) -> AdminPrincipal:
    return AdminPrincipal(admin_id="adm_1", username="auditor", role="auditor", session_ref="s")


@pytest.fixture
async def app_parts(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, AuditComponents]]:
    """The app with audit wired over a real database, behind a stand-in admin guard."""
    services = Services(settings=Settings(data_dir=tmp_path), policy=POLICY, db=database,
                        clock=clock)
    services.extras["audit_guard"] = _auditor
    parts = build_audit(services, signing_key=Ed25519PrivateKey.generate(),
                        subject_hasher=SubjectHasher(b"k" * 32))
    app = create_app(services)
    for hook in services.extras["startup"]:
        await hook()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        yield client, parts
    await parts.log.aclose()


def test_unknown_label_values_collapse_to_other() -> None:
    """A label value outside the policy's ids or the fixed sets is recorded as 'other'."""
    m = Metrics(POLICY)
    m.observe_request("chat.completions", "ana@example.es", "masked", 0.2)
    m.entities("leads", {"personal": 2, "Ana Pérez": 1})
    m.provider_error("https://evil.example/ana", "timeout")
    body = m.render().decode()
    assert 'workflow="other"' in body and "ana@example.es" not in body
    assert 'resguardo_entities_total{category="personal",workflow="leads"} 2.0' in body
    assert 'category="other"' in body and "Ana" not in body


async def test_canaries_reach_neither_metrics_nor_audit_table(
    app_parts: tuple[httpx.AsyncClient, AuditComponents], database: Database
) -> None:
    """Seeded personal values pushed through every input never appear in /metrics or the log."""
    client, parts = app_parts
    for canary in CANARIES:
        parts.metrics.observe_request("chat.completions", canary, canary, 0.1)
        parts.metrics.blocked(canary, canary, canary)
        parts.metrics.entities(canary, {canary: 3, "personal": 1})
        parts.metrics.provider_error(canary, canary)
        parts.metrics.alert(canary)
        if canary != NAME:  # a bare name has no pattern: the guard cannot catch it
            with pytest.raises(AuditWriteFailed):
                await parts.log.record(AuditEvent("gateway.request", "masked", workflow="leads",
                                                  data={"note": canary}))
        # The right way: a keyed hash of the identifier, plus counts.
        await parts.log.record(AuditEvent(
            "gateway.request", "masked", actor="key_a", workflow="leads",
            source_ip="203.0.113.9", subject_hashes=(parts.log.hasher(canary),),  # type: ignore[misc]
            data={"categories": {"personal": 1}},
        ))
        await parts.anomaly.observe(RequestObservation(key_id="key_a", workflow="leads",
                                                       provider="mistral", entities=1,
                                                       source_ip="203.0.113.9"))
    metrics = (await client.get("/metrics")).text
    assert "resguardo_requests_total" in metrics
    async with database.session() as s:
        rows = (await s.execute(text("SELECT * FROM audit_events"))).all()
        subjects = (await s.execute(text("SELECT * FROM audit_subjects"))).all()
    dump = repr(rows) + repr(subjects) + metrics
    assert len(rows) >= len(CANARIES)
    for canary in [*CANARIES, "203.0.113.9", "612345678", "Canario"]:
        assert canary not in dump


async def test_audit_api_queries_exports_and_audits_itself(
    app_parts: tuple[httpx.AsyncClient, AuditComponents],
) -> None:
    """The admin API filters, exports, checkpoints and verifies; each access is audited."""
    client, parts = app_parts
    for outcome in ("masked", "blocked", "masked"):
        await parts.log.record(AuditEvent("gateway.request", outcome, actor="key_a",
                                          workflow="leads", data={"categories": ["personal"]},
                                          environment="test" if outcome == "blocked" else "live"))
    page = (await client.get("/admin/api/audit/events",
                             params={"action": "masked", "category": "personal"})).json()
    assert [e["seq"] for e in page["events"]] == [1, 3]
    csv_body = (await client.get("/admin/api/audit/export", params={"format": "csv"})).text
    assert csv_body.splitlines()[0].startswith("seq,at,kind")
    jsonl = (await client.get("/admin/api/audit/export", params={"kind": "gateway.request"})).text
    assert len(jsonl.splitlines()) == 3
    cp = (await client.post("/admin/api/audit/checkpoint")).json()
    assert cp["seq"] >= 5
    report = (await client.get("/admin/api/audit/verify")).json()
    assert report["ok"] is True and report["checkpoints_checked"] == 1
    trail = (await client.get("/admin/api/audit/events", params={"key": "adm_1"})).json()
    assert [e["kind"] for e in trail["events"]][:3] == [
        "admin.audit.query", "admin.audit.export", "admin.audit.export"]
    bad = await client.get("/admin/api/audit/events", params={"subject_hash": "Ana Pérez"})
    assert bad.status_code == 400
    tests = (await client.get("/admin/api/audit/events",
                              params={"environment": "test", "kind": "gateway.request"})).json()
    assert [e["seq"] for e in tests["events"]] == [2]
    odd = await client.get("/admin/api/audit/events", params={"environment": "staging"})
    assert odd.status_code == 400
