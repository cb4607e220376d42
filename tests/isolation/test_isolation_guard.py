"""The live-subject guard: test requests carrying a real customer's identifier are stopped."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from resguardo.auth.principal import Principal
from resguardo.errors import AuditWriteFailed, PolicyDenied, StoreUnavailable
from resguardo.isolation.guard import AUDIT_KIND, LiveSubjectGuard
from resguardo.monitor.anomaly import Alert
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.access import operator_grant
from resguardo.vault.testkit import memory_vault_stack, sample_vault_policy
from resguardo.vault.wiring import VaultStack

LIVE = {"email": "Marta.Lopez@Gmail.com", "phone": "+34 612 345 678",
        "national_id": "12345678Z"}
TEST = {"email": "fake.person@example.com", "phone": "699 111 222"}
TEST_KEY = Principal(key_id="k_test", workflow_id="lead-qualifier", environment="test")


async def _stack(db: Database, clock: FrozenClock) -> tuple[VaultStack, str]:
    stack = await memory_vault_stack(db, clock, MemoryAuditSink())
    policy = sample_vault_policy()
    live = operator_grant(policy, "leads", environment="live", actor="op")
    record = await stack.vault.create(live, LIVE, {"name": "Marta López"})
    await stack.vault.create(operator_grant(policy, "leads", environment="test", actor="op"),
                             TEST, {"name": "Fake Person"})
    return stack, record.subject_id


class _Alerts:
    def __init__(self, fail: bool = False) -> None:
        self.alerts: list[Alert] = []
        self.fail = fail

    async def __call__(self, alert: Alert) -> None:
        self.alerts.append(alert)
        if self.fail:
            raise RuntimeError("webhook down")


@pytest.mark.parametrize(("entity_type", "value"), [
    ("EMAIL", "marta.lopez@gmail.com"),
    ("PHONE", "612345678"),
    ("PHONE", "0034 612 34 56 78"),
    ("ES_DNI", "12.345.678-z"),
    ("NATIONAL_ID", "12345678 Z"),
])
async def test_live_identifier_in_test_request_is_blocked(
    database: Database, clock: FrozenClock, entity_type: str, value: str
) -> None:
    """Any spelling of a live subject's email, phone or DNI in a test request is refused."""
    stack, _ = await _stack(database, clock)
    guard = LiveSubjectGuard(database, stack.vault.crypto.blind, audit=MemoryAuditSink())
    with pytest.raises(PolicyDenied) as info:
        await guard.check("test", [("PERSON", "Marta"), (entity_type, value)],
                          principal=TEST_KEY)
    err = info.value
    assert err.code == "live_data_in_test"
    assert err.details == {"reason": "live_data_in_test", "entity_types": [entity_type]}
    assert value not in err.message and "marta" not in err.message.lower()


async def test_block_is_audited_and_alerted_without_values(
    database: Database, clock: FrozenClock
) -> None:
    """The block writes one audit event (types, counts, subject hash) and raises an alert."""
    stack, subject_id = await _stack(database, clock)
    sink, alerts = MemoryAuditSink(), _Alerts()
    guard = LiveSubjectGuard(database, stack.vault.crypto.blind, audit=sink, on_alert=alerts,
                             clock=clock)
    with pytest.raises(PolicyDenied):
        await guard.check("test", [("EMAIL", LIVE["email"]), ("PHONE", LIVE["phone"])],
                          principal=TEST_KEY, request_id="req1")
    (event,) = sink.events
    assert event.kind == AUDIT_KIND and event.outcome == "blocked"
    assert event.environment == "test" and event.actor == "k_test"
    assert event.workflow == "lead-qualifier" and event.at == clock.now()
    assert event.subject_hashes == (stack.vault.subjects.subject_hash(subject_id),)
    assert event.data["entity_types"] == ["EMAIL", "PHONE"] and event.data["subjects"] == 1
    (alert,) = alerts.alerts
    assert alert.rule == "live_data_in_test" and alert.key_id == "k_test"
    text = repr(event) + alert.text() + repr(alert.values)
    for value in LIVE.values():
        assert value.lower() not in text.lower()


async def test_live_requests_and_test_subjects_pass(
    database: Database, clock: FrozenClock
) -> None:
    """Live traffic is not checked; test data of test subjects and unknown values pass."""
    stack, _ = await _stack(database, clock)
    sink = MemoryAuditSink()
    guard = LiveSubjectGuard(database, stack.vault.crypto.blind, audit=sink)
    live = await guard.check("live", [("EMAIL", LIVE["email"])])
    assert live.checked == 0
    ok = await guard.check("test", [("EMAIL", TEST["email"]), ("PHONE", TEST["phone"]),
                                    ("EMAIL", "otra.persona@example.org"),
                                    ("PHONE", "not a phone"), ("PERSON", "Marta López")])
    assert (ok.checked, ok.skipped) == (3, 1)
    assert sink.events == []


async def test_broken_lookup_fails_closed(sqlite_database: Database, clock: FrozenClock) -> None:
    """If the live index cannot be read, the test request does not pass."""
    stack, _ = await _stack(sqlite_database, clock)

    class Broken:
        async def live_matches(self, blinds: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
            raise OSError("database gone")

    guard = LiveSubjectGuard(None, stack.vault.crypto.blind, lookup=Broken())
    with pytest.raises(StoreUnavailable):
        await guard.check("test", [("EMAIL", "someone@example.com")])


async def test_block_stands_when_audit_or_alert_fail(
    sqlite_database: Database, clock: FrozenClock
) -> None:
    """A failed audit write is AuditWriteFailed; a failed alert still blocks."""
    stack, _ = await _stack(sqlite_database, clock)
    blind = stack.vault.crypto.blind
    guard = LiveSubjectGuard(sqlite_database, blind, audit=MemoryAuditSink(fail=True))
    with pytest.raises(AuditWriteFailed):
        await guard.check("test", [("EMAIL", LIVE["email"])])
    alerts = _Alerts(fail=True)
    guard = LiveSubjectGuard(sqlite_database, blind, audit=MemoryAuditSink(), on_alert=alerts)
    with pytest.raises(PolicyDenied):
        await guard.check("test", [("EMAIL", LIVE["email"])])
    assert len(alerts.alerts) == 1
