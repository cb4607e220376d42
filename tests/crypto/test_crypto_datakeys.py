"""Data keys in the store: per-owner keys, rotation matrix, re-wrapping, crypto-shredding."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text

from resguardo.crypto import DataKeys, Encryptor, FileKeyProvider, MemoryKeyProvider, Owner
from resguardo.crypto.tables import DataKeyRow
from resguardo.errors import Conflict, InvalidCiphertext, KeyUnavailable
from resguardo.store.db import Database
from resguardo.testing import FrozenClock

ANA = Owner.subject("subj-ana")
LUIS = Owner.subject("subj-luis")
MARTA = Owner.subject("subj-marta")
TABLE = "vault_records"


def _encryptor(db: Database, clock: FrozenClock, **kw: object) -> Encryptor:
    return Encryptor(DataKeys(db, MemoryKeyProvider(clock=clock), clock, **kw))  # type: ignore[arg-type]


async def _rows(db: Database) -> list[DataKeyRow]:
    async with db.session() as session:
        return list(await session.scalars(select(DataKeyRow).order_by(DataKeyRow.owner_id)))


async def test_encrypt_decrypt_round_trip_through_the_store(
    database: Database, clock: FrozenClock
) -> None:
    """A record sealed for an owner opens again, even with a cold cache (fresh repository)."""
    enc = _encryptor(database, clock)
    secret = b"Ana Garcia +34 600 111 222"
    blob = await enc.encrypt(ANA, secret, table=TABLE, record_id="r1")
    assert await enc.decrypt(ANA, blob, table=TABLE, record_id="r1") == secret
    cold = Encryptor(DataKeys(database, enc.keys.provider, clock, cache_size=0))
    assert await cold.decrypt(ANA, blob, table=TABLE, record_id="r1") == secret


async def test_each_owner_gets_its_own_key_and_blobs_do_not_cross(
    database: Database, clock: FrozenClock
) -> None:
    """One data key per subject: Ana's blob cannot be opened as Luis's."""
    enc = _encryptor(database, clock)
    blob = await enc.encrypt(ANA, b"secret", table=TABLE, record_id="r1")
    await enc.encrypt(LUIS, b"other", table=TABLE, record_id="r2")
    assert (await enc.keys.get(ANA)).key != (await enc.keys.get(LUIS)).key
    with pytest.raises(InvalidCiphertext):
        await enc.decrypt(LUIS, blob, table=TABLE, record_id="r1")
    rows = await _rows(database)
    assert [(r.owner_kind, r.owner_id, r.key_version, r.kek_version) for r in rows] == [
        ("subject", "subj-ana", 1, 1),
        ("subject", "subj-luis", 1, 1),
    ]


async def test_get_of_an_unknown_owner_is_key_unavailable(
    database: Database, clock: FrozenClock
) -> None:
    """No key was ever made for this owner: KeyUnavailable, not a fresh key."""
    enc = _encryptor(database, clock)
    with pytest.raises(KeyUnavailable):
        await enc.keys.get(ANA)


async def test_a_blob_naming_a_version_the_owner_never_had_is_invalid(
    database: Database, clock: FrozenClock
) -> None:
    """Relabelling the key version in a stored blob is tampering, not a missing key."""
    enc = _encryptor(database, clock)
    blob = await enc.encrypt(ANA, b"x", table=TABLE, record_id="r1")
    forged = blob[:1] + (9).to_bytes(4, "big") + blob[5:]
    with pytest.raises(InvalidCiphertext):
        await enc.decrypt(ANA, forged, table=TABLE, record_id="r1")


async def test_concurrent_first_writes_agree_on_one_key(
    database: Database, clock: FrozenClock
) -> None:
    """Racing get_or_create calls for a new owner end with one stored key that all share."""
    provider = MemoryKeyProvider(clock=clock)
    repos = [DataKeys(database, provider, clock) for _ in range(4)]
    keys = await asyncio.gather(*(r.get_or_create(MARTA) for r in repos))
    stored = await DataKeys(database, provider, clock, cache_size=0).get(MARTA)
    assert {k.key for k in keys} == {stored.key}


async def test_rotation_matrix_v1_to_v3_retire_and_rewrap(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """Keys wrapped at v1..v3 all decrypt; retiring v1 early breaks only v1; re-wrap fixes all."""
    provider = FileKeyProvider.create(tmp_path / "kek.json", clock=clock)
    keys = DataKeys(database, provider, clock, cache_size=0)  # no cache: every read unwraps
    enc = Encryptor(keys)
    owners = (ANA, LUIS, MARTA)
    blobs = {}
    for owner in owners:  # Ana under v1, Luis under v2, Marta under v3
        blobs[owner] = await enc.encrypt(owner, owner.id.encode(), table=TABLE, record_id=owner.id)
        if owner != MARTA:
            await provider.rotate()
    assert provider.current_version == 3
    assert await keys.kek_usage() == {1: 1, 2: 1, 3: 1}
    assert [await _readable(enc, o, blobs[o]) for o in owners] == [True, True, True]

    # The safe path refuses: v1 still wraps Ana's key.
    with pytest.raises(Conflict):
        await keys.retire_kek(1)

    # An operator who retires v1 without re-wrapping (here: on a copy) loses v1 data only.
    early = tmp_path / "early.json"
    shutil.copy(provider.path, early)
    early_provider = FileKeyProvider(early, clock=clock)
    await early_provider.retire(1)
    broken = Encryptor(DataKeys(database, early_provider, clock, cache_size=0))
    assert [await _readable(broken, o, blobs[o]) for o in owners] == [False, True, True]

    # Re-wrap first, then retire v1 and v2: everything decrypts under v3.
    seen: list[tuple[int, int]] = []
    report = await keys.rewrap_all(progress=lambda d, t: seen.append((d, t)), batch_size=1)
    assert (report.kek_version, report.total, report.rewrapped) == (3, 2, 2)
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert await keys.kek_usage() == {3: 3}
    await keys.retire_kek(1)
    await keys.retire_kek(2)
    assert [v.state.value for v in await provider.versions()] == ["retired", "retired", "active"]
    assert [await _readable(enc, o, blobs[o]) for o in owners] == [True, True, True]
    assert (await keys.rewrap_all()).total == 0  # idempotent


async def _readable(enc: Encryptor, owner: Owner, blob: bytes) -> bool:
    try:
        return await enc.decrypt(owner, blob, table=TABLE, record_id=owner.id) == owner.id.encode()
    except KeyUnavailable:
        return False


async def test_shred_makes_every_ciphertext_of_the_owner_unreadable(
    database: Database, clock: FrozenClock
) -> None:
    """After shredding, decrypt raises KeyUnavailable (cache included); others are untouched."""
    enc = _encryptor(database, clock)
    mine = [await enc.encrypt(ANA, b"rec %d" % i, table=TABLE, record_id=str(i)) for i in range(3)]
    theirs = await enc.encrypt(LUIS, b"luis", table=TABLE, record_id="l")
    assert await enc.keys.shred(ANA) == 1
    for i, blob in enumerate(mine):
        with pytest.raises(KeyUnavailable):
            await enc.decrypt(ANA, blob, table=TABLE, record_id=str(i))
    with pytest.raises(KeyUnavailable):
        await enc.keys.get(ANA)
    assert await enc.decrypt(LUIS, theirs, table=TABLE, record_id="l") == b"luis"
    row = next(r for r in await _rows(database) if r.owner_id == ANA.id)
    assert row.wrapped_key is None and row.kek_version is None and row.shredded_at is not None


async def test_a_shredded_owner_gets_a_new_key_version_never_the_old_one(
    database: Database, clock: FrozenClock
) -> None:
    """New data after an erasure uses key version 2; old blobs stay KeyUnavailable."""
    enc = _encryptor(database, clock)
    old = await enc.encrypt(ANA, b"before", table=TABLE, record_id="r")
    await enc.keys.shred(ANA)
    new = await enc.encrypt(ANA, b"after", table=TABLE, record_id="r")
    assert (await enc.keys.get(ANA)).version == 2
    assert await enc.decrypt(ANA, new, table=TABLE, record_id="r") == b"after"
    with pytest.raises(KeyUnavailable):
        await enc.decrypt(ANA, old, table=TABLE, record_id="r")


async def test_system_keys_cannot_be_shredded(database: Database, clock: FrozenClock) -> None:
    """Shredding the blind-index root would orphan every index: refused."""
    enc = _encryptor(database, clock)
    await enc.blind_indexer()
    with pytest.raises(Conflict):
        await enc.keys.shred(Owner(Owner.SYSTEM, "blind-index"))


async def test_shredded_key_bytes_are_nowhere_in_the_store(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """Neither the current nor an older wrapping of a shredded key survives in the DB."""
    provider = MemoryKeyProvider(clock=clock)
    keys = DataKeys(database, provider, clock)
    await keys.get_or_create(ANA)
    await keys.get_or_create(LUIS)
    first = {r.owner_id: r.wrapped_key for r in await _rows(database)}
    await provider.rotate()
    await keys.rewrap_all()  # leaves the v1 wrapping behind as freed page space, unless scrubbed
    second = {r.owner_id: r.wrapped_key for r in await _rows(database)}
    await keys.shred(ANA)
    secrets = [first[ANA.id], second[ANA.id]]
    assert all(s for s in secrets)
    if database.is_sqlite:
        # Read while the engine is open, as a copy or a thief of a live server's files would.
        files = [p for p in tmp_path.iterdir() if p.name.startswith("test.db")]
        raw = b"".join(p.read_bytes() for p in files)
        assert second[LUIS.id] in raw  # the check can see a wrapped key when one is there
    else:
        async with database.session() as session:
            dump = (await session.execute(text("SELECT data_keys::text FROM data_keys"))).all()
        raw = "\n".join(str(r[0]) for r in dump).encode()
        assert second[LUIS.id].hex().encode() in raw
        secrets = [s.hex().encode() for s in secrets]  # type: ignore[union-attr]
    leaked = [secret in raw for secret in secrets]  # bools: a failure prints no key bytes
    assert leaked == [False, False]


async def test_cache_is_bounded_and_forgets_shredded_owners(
    database: Database, clock: FrozenClock
) -> None:
    """The LRU holds at most its size in entries and drops an owner's keys on shred."""
    enc = _encryptor(database, clock, cache_size=3)
    for i in range(6):
        await enc.encrypt(Owner.subject(f"s{i}"), b"x", table=TABLE, record_id="r")
    assert len(enc.keys.cache) == 3
    await enc.encrypt(ANA, b"x", table=TABLE, record_id="r")
    assert enc.keys.cache.get(ANA) is not None
    await enc.keys.shred(ANA)
    assert enc.keys.cache.get(ANA) is None and enc.keys.cache.get(ANA, 1) is None


async def test_cached_keys_expire_so_another_replicas_shred_is_seen(
    database: Database, clock: FrozenClock
) -> None:
    """A replica that did not shred stops decrypting once its cache entry ages out."""
    provider = MemoryKeyProvider(clock=clock)
    here = Encryptor(DataKeys(database, provider, clock, cache_ttl_seconds=30))
    there = DataKeys(database, provider, clock)
    blob = await here.encrypt(ANA, b"x", table=TABLE, record_id="r")
    await there.shred(ANA)
    assert await here.decrypt(ANA, blob, table=TABLE, record_id="r") == b"x"  # still cached
    clock.advance(31)
    with pytest.raises(KeyUnavailable):
        await here.decrypt(ANA, blob, table=TABLE, record_id="r")


async def test_blind_index_key_is_stable_across_kek_rotation(
    database: Database, clock: FrozenClock
) -> None:
    """Rotating and retiring KEKs re-wraps the index root but never changes an index."""
    provider = MemoryKeyProvider([os.urandom(32)], clock=clock)
    keys = DataKeys(database, provider, clock)
    before = (await Encryptor(keys).blind_indexer()).index("email", "ana@example.es")
    await provider.rotate()
    await keys.rewrap_all()
    await keys.retire_kek(1)
    fresh = Encryptor(DataKeys(database, provider, clock, cache_size=0))
    assert (await fresh.blind_indexer()).index("email", "ana@example.es") == before


async def test_shred_scrubs_even_where_sqlite_does_not_secure_delete_by_default(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """SQLite builds without SECURE_DELETE still lose every wrapping of a shredded key."""

    def insecure(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.cursor().execute("PRAGMA secure_delete=OFF")

    await sqlite_database.dispose()  # new connections only, each starting insecure
    event.listen(sqlite_database.engine.sync_engine, "connect", insecure)
    provider = MemoryKeyProvider(clock=clock)
    keys = DataKeys(sqlite_database, provider, clock)
    for i in range(20):
        await keys.get_or_create(Owner.subject(f"filler-{i}"))
    await keys.get_or_create(ANA)
    first = next(r.wrapped_key for r in await _rows(sqlite_database) if r.owner_id == ANA.id)
    await provider.rotate()
    await keys.rewrap_all()
    await keys.shred(ANA)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("test.db"))
    assert first
    leaked = first in raw  # a bool, so a failure does not print key bytes
    assert not leaked
