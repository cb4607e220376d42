"""Rights requests: open by any identifier, verify, deadlines, export, rectification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from resguardo.auth.principal import Principal
from resguardo.errors import Conflict, InputError, NotFound
from resguardo.rights.deadlines import add_months
from resguardo.rights.fulfil import export_subject, rectify_record
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.wiring import VaultStack

LEADS = Principal("key_leads", "lead-qualifier", "live")
VOICE = Principal("key_voice", "voice-agent", "live")
ANA_LEAD = {"name": "Ana García <b>", "email": "ana.garcia@example.es", "score": 87}
ANA_CALL = {"transcript": "Hola, soy Ana, llamo por la factura de marzo", "agent": "bot"}
BOB_LEAD = {"name": "Roberto Núñez", "email": "roberto.nunez@example.es", "score": 12}
BOB_CALL = {"transcript": "Soy Roberto, quiero darme de baja", "agent": "bot"}


async def _seed(stack: VaultStack) -> dict[str, str]:
    leads = await stack.vault.authorize(LEADS, "leads", "write")
    calls = await stack.vault.authorize(VOICE, "calls", "write")
    ana = await stack.vault.create(leads, {"email": "ana.garcia@example.es"}, ANA_LEAD)
    await stack.vault.create(
        calls, {"phone": "612345678", "email": "ANA.GARCIA@example.es"}, ANA_CALL
    )
    bob = await stack.vault.create(leads, {"email": "roberto.nunez@example.es"}, BOB_LEAD)
    await stack.vault.create(calls, {"phone": "699000111"}, BOB_CALL)
    return {"ana_lead": ana.id, "bob_lead": bob.id}


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [((2026, 1, 15), 1, (2026, 2, 15)), ((2026, 1, 31), 1, (2026, 2, 28)),
     ((2028, 1, 31), 1, (2028, 2, 29)), ((2026, 11, 30), 3, (2027, 2, 28))],
)
def test_deadline_months_clamp_to_the_end_of_short_months(
    start: tuple[int, int, int], months: int, expected: tuple[int, int, int]
) -> None:
    """One month after 31 January is the last day of February."""
    assert add_months(datetime(*start, tzinfo=UTC), months) == datetime(*expected, tzinfo=UTC)


async def test_request_opened_by_phone_finds_the_subject_and_is_due_in_a_month(
    stack: VaultStack, audit: MemoryAuditSink
) -> None:
    """Any identifier opens a request; the deadline is one month; the value is never kept."""
    await _seed(stack)
    req = await stack.rights.open("access", "phone", "+34 612 34 56 78",
                                  environment="live", actor="admin:dpo")
    assert req.subject_id is not None and req.status == "open"
    assert req.due_at == datetime(2026, 2, 15, 9, 0, tzinfo=UTC)
    assert audit.events[-1].kind == "rights.opened"
    assert "612345678" not in repr(req) + repr(audit.events[-1])


async def test_deadline_extends_once_by_two_months_with_a_reason(stack: VaultStack) -> None:
    """The extension needs a reason, adds two months and cannot be repeated."""
    req = await stack.rights.open("erasure", "email", "nobody@example.es",
                                  environment="live", actor="admin:dpo")
    with pytest.raises(InputError):
        await stack.rights.extend(req.id, reason="busy", actor="admin:dpo")
    extended = await stack.rights.extend(
        req.id, reason="Complex request spanning many systems", actor="admin:dpo"
    )
    assert extended.due_at == datetime(2026, 4, 15, 9, 0, tzinfo=UTC)
    assert extended.extension_reason == "Complex request spanning many systems"
    with pytest.raises(Conflict):
        await stack.rights.extend(req.id, reason="Complex request again", actor="admin:dpo")


async def test_overdue_lists_requests_past_their_deadline(
    stack: VaultStack, clock: FrozenClock
) -> None:
    """A request not answered in a month shows up as overdue."""
    req = await stack.rights.open("access", "email", "x@example.es",
                                  environment="live", actor="admin:dpo")
    assert await stack.rights.overdue() == []
    clock.advance(timedelta(days=32))
    assert [r.id for r in await stack.rights.overdue()] == [req.id]


async def test_export_refuses_until_identity_is_verified(stack: VaultStack) -> None:
    """No package for a requester whose identity is unchecked."""
    await _seed(stack)
    req = await stack.rights.open("access", "email", "ana.garcia@example.es",
                                  environment="live", actor="admin:dpo")
    with pytest.raises(Conflict) as info:
        await export_subject(stack.rights, req.id, actor="admin:dpo")
    assert info.value.code == "not_verified"


async def test_export_holds_everything_about_its_subject_and_nothing_about_anyone_else(
    stack: VaultStack,
) -> None:
    """Records in every collection, purposes, recipients, retention and events; no Bob."""
    await _seed(stack)
    req = await stack.rights.open("portability", "phone", "612345678",
                                  environment="live", actor="admin:dpo")
    await stack.rights.verify(req.id, method="video call with ID document", actor="admin:dpo")
    package = await export_subject(stack.rights, req.id, actor="admin:dpo")
    data = package.data
    assert sorted(r["fields"].get("transcript", r["fields"].get("name")) for r in data["records"]) \
        == sorted([ANA_LEAD["name"], ANA_CALL["transcript"]])
    processing = {p["collection"]: p for p in data["processing"]}
    assert processing["calls"]["retention_days"] == 30  # category rule caps the collection
    assert processing["leads"]["retention_days"] == 365
    assert {p["workflow"] for p in processing["leads"]["purposes"]} >= {"lead-qualifier"}
    assert [r["provider"] for r in processing["calls"]["recipients"]] == ["local"]
    assert data["subject"]["identifier_kinds"] == ["email", "phone"]
    kinds = [e["kind"] for e in data["audit_events"]]
    assert kinds.count("vault.create") == 2 and "rights.opened" in kinds
    everything = package.json_bytes.decode() + package.html
    for value in ("Roberto", "roberto", "darme de baja", "699000111"):
        assert value not in everything
    hashes = {e["subject_hash"] for e in data["audit_events"]}
    assert hashes == {data["subject"]["subject_hash"]}
    assert "Ana García &lt;b&gt;" in package.html  # every value escaped in the page
    assert orjson.loads(package.json_bytes)["format"] == "resguardo.subject-package/v1"
    assert (await stack.rights.get(req.id)).status == "completed"


async def test_rectification_updates_the_record_and_is_audited(
    stack: VaultStack, audit: MemoryAuditSink
) -> None:
    """The corrected value is stored; another subject's record is out of reach."""
    ids = await _seed(stack)
    req = await stack.rights.open("rectification", "email", "ana.garcia@example.es",
                                  environment="live", actor="admin:dpo")
    await stack.rights.verify(req.id, method="signed email from known address", actor="admin:dpo")
    updated = await rectify_record(stack.rights, req.id, record_id=ids["ana_lead"],
                                   fields={"name": "Ana García López"}, actor="admin:dpo")
    assert updated.fields["name"] == "Ana García López"
    assert [e.kind for e in audit.events[-2:]] == ["rights.rectified", "vault.update"]
    with pytest.raises(NotFound):
        await rectify_record(stack.rights, req.id, record_id=ids["bob_lead"],
                             fields={"name": "X"}, actor="admin:dpo")
    with pytest.raises(InputError):
        await rectify_record(stack.rights, req.id, record_id=ids["ana_lead"],
                             fields={"iban": "ES00"}, actor="admin:dpo")
    closed = await stack.rights.close(req.id, actor="admin:dpo", outcome="rectified")
    assert closed.status == "completed"
