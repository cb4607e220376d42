"""Vault records: encrypted, linked by blind indexes, allowlisted, scoped by workflow and env."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from resguardo.auth.principal import Principal, Scopes
from resguardo.errors import AuditWriteFailed, Conflict, Forbidden, InputError, NotFound
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink
from resguardo.vault.tables import VaultIdentifierRow, VaultRecordRow
from resguardo.vault.testkit import memory_vault_stack
from resguardo.vault.wiring import VaultStack

LEADS_LIVE = Principal("key_live", "lead-qualifier", "live")
LEADS_TEST = Principal("key_test", "lead-qualifier", "test")
VOICE_LIVE = Principal("key_voice", "voice-agent", "live")
ANA = {"email": "Ana.Garcia@example.es", "phone": "612 345 678"}
ANA_FIELDS = {"name": "Ana García", "email": "ana.garcia@example.es", "score": 87,
              "notes": "Quiere presupuesto para 12 licencias"}


@pytest.fixture
def audit() -> MemoryAuditSink:
    """Audit events kept in memory."""
    return MemoryAuditSink()


@pytest.fixture
async def stack(database: Database, clock: FrozenClock, audit: MemoryAuditSink) -> VaultStack:
    """The vault stack over a fresh database."""
    return await memory_vault_stack(database, clock, audit)


async def test_record_round_trips_and_is_stored_only_as_ciphertext(
    stack: VaultStack, database: Database
) -> None:
    """What is written comes back; the row holds no plaintext and identifiers are HMACs."""
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    created = await stack.vault.create(grant, ANA, ANA_FIELDS)
    read = await stack.vault.read(await stack.vault.authorize(LEADS_LIVE, "leads", "read"),
                                  created.id)
    assert read.fields == ANA_FIELDS
    async with database.session() as session:
        row = await session.get(VaultRecordRow, created.id)
        blinds = list(await session.scalars(select(VaultIdentifierRow.blind)))
    assert row is not None and b"Ana" not in row.ciphertext and b"licencias" not in row.ciphertext
    assert len(blinds) == 2 and all("ana" not in b and "612345678" not in b for b in blinds)


async def test_identifiers_in_any_format_link_records_to_one_subject(
    stack: VaultStack, clock: FrozenClock
) -> None:
    """An email typed differently and a new identifier still find the same subject."""
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    first = await stack.vault.create(grant, {"email": "ana.garcia@example.es"}, {"score": 1})
    clock.advance(1)
    second = await stack.vault.create(
        grant, {"email": " ANA.GARCIA@example.es", "national_id": "12345678-z"}, {"score": 2}
    )
    assert first.subject_id == second.subject_id
    found = await stack.vault.list_by_subject(grant, "national_id", "12345678Z")
    assert [r.fields["score"] for r in found] == [1, 2]


async def test_identifiers_of_two_different_subjects_are_never_merged(stack: VaultStack) -> None:
    """An email of one subject and a phone of another in one write is a conflict."""
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    await stack.vault.create(grant, {"email": "ana@example.es"}, {"score": 1})
    await stack.vault.create(grant, {"phone": "+34 699 000 111"}, {"score": 2})
    with pytest.raises(Conflict):
        await stack.vault.create(grant, {"email": "ana@example.es", "phone": "699000111"}, {})


async def test_write_outside_the_field_allowlist_is_refused_naming_only_fields(
    stack: VaultStack,
) -> None:
    """An unlisted field fails the write; the error names the field, not its value."""
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    with pytest.raises(InputError) as info:
        await stack.vault.create(grant, ANA, {"name": "Ana", "iban": "ES9121000418450200051332"})
    assert info.value.details == {"fields": ["iban"]}
    assert "ES91" not in str(info.value.details) + info.value.message


async def test_read_returns_only_the_fields_the_workflow_may_see(stack: VaultStack) -> None:
    """The voice agent reads leads narrowed to name and score."""
    writer = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    created = await stack.vault.create(writer, ANA, ANA_FIELDS)
    reader = await stack.vault.authorize(VOICE_LIVE, "leads", "read")
    assert (await stack.vault.read(reader, created.id)).fields == {"name": "Ana García",
                                                                   "score": 87}


@pytest.mark.parametrize(
    ("principal", "collection", "mode"),
    [
        (Principal("k1", "newsletter", "live"), "leads", "read"),  # no vault endpoint
        (VOICE_LIVE, "leads", "write"),  # read-only grant
        (VOICE_LIVE, "invoices", "read"),  # not granted at all
        (Principal("k2", "lead-qualifier", "live", Scopes(collections_read=())), "leads", "read"),
        (Principal("k3", "lead-qualifier", "live", Scopes(endpoints=("chat.completions",))),
         "leads", "read"),
        (Principal("k4", "gone-workflow", "live"), "leads", "read"),
    ],
)
async def test_workflow_cannot_use_a_collection_it_is_not_granted(
    stack: VaultStack, audit: MemoryAuditSink, principal: Principal, collection: str, mode: str
) -> None:
    """Workflow grant, key scopes and the vault endpoint must all allow it; refusals are audited."""
    with pytest.raises(Forbidden):
        await stack.vault.authorize(principal, collection, mode)  # type: ignore[arg-type]
    assert audit.events[-1].kind == "vault.denied"


async def test_test_key_never_sees_live_records(stack: VaultStack) -> None:
    """A test-environment key gets not-found for live records and an empty subject list."""
    live = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    created = await stack.vault.create(live, ANA, ANA_FIELDS)
    test = await stack.vault.authorize(LEADS_TEST, "leads", "write")
    with pytest.raises(NotFound):
        await stack.vault.read(test, created.id)
    with pytest.raises(NotFound):
        await stack.vault.delete(test, created.id)
    assert await stack.vault.list_by_subject(test, "email", ANA["email"]) == []
    other = await stack.vault.create(test, ANA, {"name": "Test Ana"})
    assert other.subject_id != created.subject_id


async def test_update_merges_and_delete_removes(stack: VaultStack) -> None:
    """Update keeps untouched fields; a deleted record is gone."""
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    created = await stack.vault.create(grant, ANA, ANA_FIELDS)
    updated = await stack.vault.update(grant, created.id, {"score": 90})
    assert updated.fields == {**ANA_FIELDS, "score": 90}
    assert (await stack.vault.read(grant, created.id)).fields["score"] == 90
    await stack.vault.delete(grant, created.id)
    with pytest.raises(NotFound):
        await stack.vault.read(grant, created.id)


async def test_every_access_is_audited_without_values(
    stack: VaultStack, audit: MemoryAuditSink
) -> None:
    """Create, read, list, update and delete each leave an event with ids and hashes only."""
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    created = await stack.vault.create(grant, ANA, ANA_FIELDS)
    await stack.vault.read(grant, created.id)
    await stack.vault.list_by_subject(grant, "phone", ANA["phone"])
    await stack.vault.update(grant, created.id, {"score": 3})
    await stack.vault.delete(grant, created.id)
    kinds = [e.kind for e in audit.events]
    assert kinds == ["vault.create", "vault.read", "vault.list", "vault.update", "vault.delete"]
    dump = repr(audit.events)
    for value in ("Ana", "ana.garcia", "612345678", "612 345 678", "licencias"):
        assert value not in dump
    assert all(len(e.subject_hashes) == 1 for e in audit.events)


async def test_failed_audit_write_stores_nothing(
    database: Database, clock: FrozenClock
) -> None:
    """Fail closed: when the audit sink is down the record is not kept."""
    sink = MemoryAuditSink(fail=True)
    stack = await memory_vault_stack(database, clock, sink)
    grant = await stack.vault.authorize(LEADS_LIVE, "leads", "write")
    with pytest.raises(AuditWriteFailed):
        await stack.vault.create(grant, ANA, ANA_FIELDS)
    async with database.session() as session:
        assert list(await session.scalars(select(VaultRecordRow.id))) == []
