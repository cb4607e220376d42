"""Breach register: first-24-hours plan, impact from the audit trail, the 72-hour clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gov_helpers import T0, seeded_events

from loopback import Receiver
from resguardo.audit.log import DbAuditLog
from resguardo.auth.bundle import build_auth_services
from resguardo.auth.passwords import Argon2Params
from resguardo.errors import Conflict, InputError
from resguardo.governance.deadlines import DeadlineMonitor, alert_marks
from resguardo.governance.evidence import AuditEvidenceFreezer
from resguardo.governance.impact import IncidentScope
from resguardo.governance.incident_docs import aepd_notification, subject_notice
from resguardo.governance.incidents import BreachRegister
from resguardo.governance.observed import MemoryAuditReader
from resguardo.monitor.webhook import AiohttpWebhookTransport
from resguardo.policy.schema import Policy
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink


def _register(db: Database, policy: Policy, clock: FrozenClock, history: MemoryAuditSink,
              **kw: object) -> BreachRegister:
    return BreachRegister(db, policy, clock, history, MemoryAuditReader(seeded_events()),
                          **kw)  # type: ignore[arg-type]


async def test_opening_revokes_keys_computes_impact_and_lists_what_remains(
        database: Database, policy: Policy, clock: FrozenClock,
        history: MemoryAuditSink) -> None:
    """One step: workflow keys revoked, impact from the trail, provider-credential to-dos."""
    auth = build_auth_services(db=database, policy=policy, clock=clock, pepper=b"p" * 32,
                               audit_sink=history, argon2=Argon2Params.fast_for_tests())
    key = await auth.keys.create("support-bot", "live")
    other = await auth.keys.create("lead-scorer", "live")
    reg = _register(database, policy, clock, history, keys=auth.keys)
    opened = await reg.open(title="Leaked support-bot key", opened_by="adm_1",
                            scope=IncidentScope(workflows=("support-bot",), since=T0),
                            discovered_at=clock.now() - timedelta(hours=2))
    inc = opened.incident.to_dict()
    assert (await auth.keys.show(key.info.key_id)).status == "revoked"
    assert (await auth.keys.show(other.info.key_id)).status == "active"
    impact = inc["impact"]
    assert impact["categories"] == {"financial": 1, "personal": 2}
    assert impact["subjects_estimated"] == 3 and impact["requests"] == 2  # blocked excluded
    assert impact["providers"] == {"openai-us": 2}
    remaining = {t["id"] for t in inc["remaining_tasks"]}
    assert {"provider:openai-us", "authority", "subjects", "risk", "evidence"} <= remaining
    assert f"key:{key.info.key_id}" not in remaining
    assert inc["deadline_at"] == (clock.now() + timedelta(hours=70)).isoformat()
    assert inc["hours_left"] == 70.0
    assert [e.kind for e in history.events][-1] == "incident.opened"
    await auth.authenticator.aclose()


async def test_rotation_returns_the_new_secret_once(sqlite_database: Database, policy: Policy,
                                                    clock: FrozenClock,
                                                    history: MemoryAuditSink) -> None:
    """With key_action='rotate' the key survives with a new secret, handed back to the caller."""
    auth = build_auth_services(db=sqlite_database, policy=policy, clock=clock,
                               pepper=b"p" * 32, audit_sink=history,
                               argon2=Argon2Params.fast_for_tests())
    key = await auth.keys.create("lead-scorer", "live")
    reg = _register(sqlite_database, policy, clock, history, keys=auth.keys)
    opened = await reg.open(title="t", opened_by="adm", key_action="rotate",
                            scope=IncidentScope(key_ids=(key.info.key_id,)))
    [issued] = opened.rotated
    assert issued.token != key.token and issued.info.secret_version == 2
    assert opened.incident.row["impact"]["events"] == 0  # the seeded history uses other ids
    await auth.authenticator.aclose()


async def test_impact_for_a_key_counts_distinct_subject_hashes(
        sqlite_database: Database, policy: Policy, clock: FrozenClock,
        history: MemoryAuditSink) -> None:
    """Vault events carry subject hashes: two distinct subjects for the lead key."""
    reg = _register(sqlite_database, policy, clock, history)
    opened = await reg.open(title="t", opened_by="adm", key_action="none",
                            scope=IncidentScope(key_ids=("key_lead",)))
    impact = opened.incident.row["impact"]
    assert impact["subjects_hashed"] == 2 and impact["subjects_estimated"] == 1
    assert impact["categories"] == {"financial": 1, "personal": 3}
    todo = {t["id"] for t in opened.incident.to_dict()["remaining_tasks"]}
    assert "key:key_lead" in todo  # no key service: revoking is left to the operator


async def test_evidence_freezes_the_range_with_a_signed_checkpoint(
        database: Database, policy: Policy, clock: FrozenClock, tmp_path: object) -> None:
    """The range is exported, hashed, written 0600 and the log head signed."""
    log = DbAuditLog(database, clock, signer=Ed25519PrivateKey.generate())
    for event in seeded_events():
        await log.record(event)
    freezer = AuditEvidenceFreezer(database, log, directory=tmp_path / "evidence")  # type: ignore[operator]
    reg = BreachRegister(database, policy, clock, log, MemoryAuditReader(seeded_events()),
                         evidence=freezer)
    opened = await reg.open(title="t", opened_by="adm", key_action="none",
                            scope=IncidentScope(since=T0, until=T0 + timedelta(minutes=4)))
    await log.aclose()
    ev = opened.incident.row["evidence"]
    assert ev["events"] == 4 and ev["first_seq"] == 1 and len(ev["sha256"]) == 64
    assert ev["checkpoint"]["seq"] >= 4
    import os
    assert oct(os.stat(ev["file"]).st_mode & 0o777) == "0o600"


async def test_72_hour_clock_alerts_at_48_66_and_72_hours(
        sqlite_database: Database, policy: Policy, clock: FrozenClock,
        history: MemoryAuditSink, receiver: Receiver) -> None:
    """Alerts fire once per mark, reach a real webhook, and stop once the AEPD is notified."""
    assert alert_marks(72) == (48, 66, 72)
    reg = _register(sqlite_database, policy, clock, history)
    inc = (await reg.open(title="t", opened_by="adm", key_action="none",
                          scope=IncidentScope(workflows=("hr-assistant",)))).incident
    monitor = DeadlineMonitor(sqlite_database, clock, history, 72,
                              transport=AiohttpWebhookTransport(5), url=receiver.url)
    clock.advance(timedelta(hours=47, minutes=59))
    assert await monitor.tick() == []
    clock.advance(timedelta(minutes=1))
    [warning] = await monitor.tick()
    assert (warning.level, warning.mark_hours, warning.hours_left) == ("warning", 48, 24.0)
    assert await monitor.tick() == []  # raised once
    clock.advance(timedelta(hours=18))
    assert [a.level for a in await monitor.tick()] == ["urgent"]
    clock.advance(timedelta(hours=6))
    assert [a.level for a in await monitor.tick()] == ["overdue"]
    assert [b["mark_hours"] for b in receiver.bodies] == [48, 66, 72]
    assert (await reg.get(inc.id)).to_dict()["overdue"] is True
    await reg.record_notification(inc.id, "authority", "notified", "adm", reference="AEPD-1")
    clock.advance(timedelta(hours=1))
    assert await monitor.tick() == []
    kinds = [e.outcome for e in history.events if e.kind == "incident.deadline"]
    assert kinds == ["warning", "urgent", "overdue"]


async def test_failed_webhook_is_retried_on_the_next_tick(
        sqlite_database: Database, policy: Policy, clock: FrozenClock,
        history: MemoryAuditSink, receiver: Receiver) -> None:
    """A refused alert is audited as failed and raised again later."""
    reg = _register(sqlite_database, policy, clock, history)
    await reg.open(title="t", opened_by="adm", key_action="none",
                   scope=IncidentScope(workflows=("hr-assistant",)))
    monitor = DeadlineMonitor(sqlite_database, clock, history, 72,
                              transport=AiohttpWebhookTransport(5), url=receiver.url)
    receiver.status = 500
    clock.advance(timedelta(hours=50))
    [first] = await monitor.tick()
    assert not first.delivered
    receiver.status = 200
    [again] = await monitor.tick()
    assert again.delivered and again.mark_hours == 48


async def test_register_workflow_measures_risk_and_close(
        sqlite_database: Database, policy: Policy, clock: FrozenClock,
        history: MemoryAuditSink) -> None:
    """Measures and risk are recorded; closing waits for the authority decision."""
    reg = _register(sqlite_database, policy, clock, history)
    inc = (await reg.open(title="t", opened_by="adm", key_action="none",
                          scope=IncidentScope(workflows=("support-bot",)))).incident
    await reg.add_measure(inc.id, "Rotated the OpenAI key at the provider", "adm")
    await reg.complete_task(inc.id, "provider:openai-us", "adm")
    with pytest.raises(Conflict):
        await reg.close(inc.id, "adm")
    with pytest.raises(InputError):
        await reg.assess_risk(inc.id, "catastrophic", "adm")
    after = await reg.assess_risk(inc.id, "unlikely", "adm")
    assert after.row["authority_status"] == "not_required"
    closed = await reg.close(inc.id, "adm")
    assert closed.row["status"] == "closed"
    assert [i.id for i in await reg.list_incidents("closed")] == [inc.id]
    with pytest.raises(Conflict):
        await reg.add_measure(inc.id, "late", "adm")


async def test_aepd_draft_and_subject_notice_are_spanish_and_filled_in(
        sqlite_database: Database, policy: Policy, clock: FrozenClock,
        history: MemoryAuditSink) -> None:
    """The drafts carry the controller, deadline, categories and approximate subjects."""
    reg = _register(sqlite_database, policy, clock, history)
    inc = (await reg.open(title="Clave <filtrada>", opened_by="adm", key_action="none",
                          scope=IncidentScope(workflows=("support-bot",)))).incident
    await reg.add_measure(inc.id, "Clave revocada", "adm")
    inc = await reg.get(inc.id)
    draft = aepd_notification(inc, policy)
    md = draft.to_markdown()
    assert "Notificación de brecha" in md and "Acme <Servicios> S.L." in md
    assert "Número aproximado de interesados afectados: 3" in md
    assert "datos económicos y financieros (financial)" in md and "Clave revocada" in md
    assert "&lt;filtrada&gt;" in draft.to_html() and "<filtrada>" not in draft.to_html()
    notice = subject_notice(inc, policy).to_markdown()
    assert "dpo@acme.example" in notice and "Qué hemos hecho" in notice
