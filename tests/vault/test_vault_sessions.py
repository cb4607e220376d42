"""Persisted protect/restore sessions: sealed, TTL-bound, scoped, purged; and across a restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import select, update

from assembled import assembled, client_for, prepared
from resguardo.crypto.datakeys import DataKeys
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keyprovider import MemoryKeyProvider
from resguardo.errors import InvalidCiphertext
from resguardo.gateway.sessions import new_session_id
from resguardo.services import Services
from resguardo.settings import Settings
from resguardo.store.db import Database
from resguardo.testing import FrozenClock
from resguardo.vault.sessions import EncryptedSessionStore, session_key
from resguardo.vault.tables import GatewaySessionRow

T = TypeVar("T")
SCOPE = "triage:live"
SECRET = "ana.secreta@correo.test"
DATA = {"tokens": {"<EMAIL_1>": SECRET}, "counts": {"EMAIL": 1}}


@pytest.fixture
def store(database: Database, clock: FrozenClock) -> EncryptedSessionStore:
    """A session store over a fresh database with an in-memory KEK."""
    keys = DataKeys(database, MemoryKeyProvider(clock=clock), clock)
    return EncryptedSessionStore(database, Encryptor(keys), clock)


async def _rows(database: Database) -> list[GatewaySessionRow]:
    async with database.session() as session:
        return list((await session.execute(select(GatewaySessionRow))).scalars())


async def test_session_round_trips_until_its_ttl(
    store: EncryptedSessionStore, clock: FrozenClock
) -> None:
    """A saved map loads back unchanged, then stops resolving once the TTL has passed."""
    sid = new_session_id()
    expires = await store.save(sid, SCOPE, DATA, 60)
    loaded = await store.load(sid, SCOPE)
    assert loaded is not None and loaded.data == DATA and loaded.expires_at == expires
    clock.advance(59)
    assert await store.load(sid, SCOPE) is not None
    clock.advance(1)
    assert await store.load(sid, SCOPE) is None


async def test_save_replaces_the_map_and_extends_the_expiry(
    store: EncryptedSessionStore, clock: FrozenClock, database: Database
) -> None:
    """Saving the same session again replaces its map and TTL (one row, not two)."""
    sid = new_session_id()
    await store.save(sid, SCOPE, DATA, 60)
    clock.advance(50)
    more = {**DATA, "counts": {"EMAIL": 2}}
    await store.save(sid, SCOPE, more, 60)
    clock.advance(50)
    loaded = await store.load(sid, SCOPE)
    assert loaded is not None and loaded.data == more
    assert len(await _rows(database)) == 1


@pytest.mark.parametrize("other", ["scoring:live", "triage:test", ""])
async def test_another_scope_cannot_load_a_live_session(
    store: EncryptedSessionStore, other: str
) -> None:
    """Another workflow, or the same workflow's test environment, sees no session at all."""
    sid = new_session_id()
    await store.save(sid, SCOPE, DATA, 60)
    assert await store.load(sid, other) is None
    assert await store.load(new_session_id(), SCOPE) is None


async def test_rows_hold_no_plaintext_and_no_session_id(
    store: EncryptedSessionStore, database: Database
) -> None:
    """The table holds only the id's hash and a ciphertext: no seeded value anywhere."""
    sid = new_session_id()
    await store.save(sid, SCOPE, DATA, 60)
    (row,) = await _rows(database)
    assert row.id == session_key(sid) and row.environment == "live"
    dump = repr([row.id, row.scope, row.environment, row.expires_at]).encode() + row.ciphertext
    assert SECRET.encode() not in dump and b"ana.secreta" not in dump
    assert sid.encode() not in dump


async def test_edited_scope_column_does_not_unlock_a_session(
    store: EncryptedSessionStore, database: Database
) -> None:
    """Rewriting the clear scope column is refused: the scope is sealed with the map."""
    sid = new_session_id()
    await store.save(sid, SCOPE, DATA, 60)
    async with database.session() as session:
        await session.execute(update(GatewaySessionRow).values(scope="scoring:live"))
    with pytest.raises(InvalidCiphertext):
        await store.load(sid, "scoring:live")


async def test_purge_deletes_only_expired_sessions(
    store: EncryptedSessionStore, clock: FrozenClock, database: Database
) -> None:
    """purge_expired removes the expired rows and keeps the live one."""
    short, long = new_session_id(), new_session_id()
    await store.save(short, SCOPE, DATA, 10)
    await store.save(long, SCOPE, DATA, 100)
    clock.advance(10)
    assert await store.purge_expired() == 1
    assert [r.id for r in await _rows(database)] == [session_key(long)]
    assert await store.load(long, SCOPE) is not None


POLICY = """
version: 1
controller: {name: "Clínica Norte S.L.", contact: "privacidad@clinica.test"}
providers:
  - {id: demo, adapter: demo, tier: local, trains_on_data: false, country: ES, models: [demo]}
workflows:
  - id: triage
    purpose: Route customer emails.
    legal_basis: contract
    categories: [personal, communications]
    providers: [demo]
    endpoints: [protect, restore]
    retention_days: 30
"""


async def _serve(
    settings: Settings, call: Callable[[httpx.AsyncClient, Services], Awaitable[T]]
) -> T:
    """Build the whole process on ``settings``, run ``call(client, services)``, shut down."""
    async with assembled(settings) as (services, app), client_for(app) as client:
        return await call(client, services)


async def test_protect_then_restore_survives_a_restart(tmp_path: Path) -> None:
    """A session minted by one process restores in another built on the same data dir."""
    settings = await prepared(tmp_path, POLICY)

    async def first(client: httpx.AsyncClient, services: Services) -> tuple[str, dict[str, str]]:
        assert services.auth is not None
        issued = await services.auth.keys.create("triage", "live", name="t", actor="test")
        headers = {"Authorization": f"Bearer {issued.token}"}
        out = await client.post("/v1/protect", json={"text": f"Escribe a {SECRET}"},
                                headers=headers)
        assert out.status_code == 200, out.text
        assert SECRET not in out.text
        return issued.token, out.json()

    token, protected = await _serve(settings, first)

    async def second(client: httpx.AsyncClient, _services: Services) -> httpx.Response:
        return await client.post(
            "/v1/restore", json={"text": protected["text"], "session_id": protected["session_id"]},
            headers={"Authorization": f"Bearer {token}"})

    restored = await _serve(settings, second)
    assert restored.status_code == 200, restored.text
    assert restored.json()["text"] == f"Escribe a {SECRET}"
