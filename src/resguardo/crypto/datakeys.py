"""Per-owner data keys, stored wrapped by the KEK: create, fetch, re-wrap, shred."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from resguardo.clock import Clock
from resguardo.crypto.envelope import KEY_SIZE, canonical_bytes
from resguardo.crypto.keycache import DataKey, KeyCache, Owner
from resguardo.crypto.keyprovider import KeyProvider, KeyVersion, WrappedKey
from resguardo.crypto.tables import DataKeyRow
from resguardo.errors import Conflict, InvalidCiphertext, KeyUnavailable
from resguardo.store.db import Database

__all__ = ["BLIND_INDEX_OWNER", "DataKeys", "Progress", "RewrapReport", "dek_aad"]

_DEK_LABEL = b"resguardo/dek/v1"
BLIND_INDEX_OWNER = Owner(Owner.SYSTEM, "blind-index")
_CREATE_ATTEMPTS = 3

Progress = Callable[[int, int], None]  # (done, total)


def dek_aad(owner: Owner, key_version: int) -> bytes:
    """What a wrapped data key is bound to, so a wrapped blob cannot move to another owner."""
    return canonical_bytes(_DEK_LABEL, owner.kind, owner.id, key_version)


@dataclass(frozen=True)
class RewrapReport:
    """Outcome of ``rewrap_all``."""

    kek_version: int
    total: int
    rewrapped: int


def _where_owner(owner: Owner) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (DataKeyRow.owner_kind == owner.kind, DataKeyRow.owner_id == owner.id)


async def _scrub_on_delete(db: Database, session: AsyncSession) -> None:
    # SQLite otherwise leaves freed cell bytes (an old wrapped key) in the page's free space.
    if db.is_sqlite:
        await session.execute(text("PRAGMA secure_delete=ON"))


class DataKeys:
    """Repository of wrapped data keys with an in-process cache of unwrapped ones."""

    def __init__(
        self,
        db: Database,
        provider: KeyProvider,
        clock: Clock,
        *,
        cache_size: int = 4096,
        cache_ttl_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.provider = provider
        self.clock = clock
        self.cache = KeyCache(clock, max_entries=cache_size, ttl_seconds=cache_ttl_seconds)

    # -- reading --------------------------------------------------------------------------

    async def _rows(self, owner: Owner) -> list[DataKeyRow]:
        async with self.db.session() as session:
            result = await session.scalars(
                select(DataKeyRow).where(*_where_owner(owner)).order_by(DataKeyRow.key_version)
            )
            return list(result)

    async def _unwrap(self, owner: Owner, row: DataKeyRow) -> DataKey:
        if row.wrapped_key is None or row.kek_version is None:
            raise KeyUnavailable(details={"owner_kind": owner.kind})
        wrapped = WrappedKey(row.kek_version, row.wrapped_key)
        key = await self.provider.unwrap(wrapped, dek_aad(owner, row.key_version))
        if len(key) != KEY_SIZE:
            raise InvalidCiphertext()
        return DataKey(owner, row.key_version, key)

    async def get(self, owner: Owner, version: int | None = None) -> DataKey:
        """The owner's key (newest, or ``version``); ``KeyUnavailable`` if none or shredded.

        A ``version`` the owner never had, while it has others, means the ciphertext naming
        it was forged or corrupted: that raises ``InvalidCiphertext``, like any bad blob.
        """
        cached = self.cache.get(owner, version)
        if cached is not None:
            return cached
        rows = await self._rows(owner)
        if not rows:
            raise KeyUnavailable(details={"owner_kind": owner.kind})
        if version is None:
            row = rows[-1]
        else:
            match = [r for r in rows if r.key_version == version]
            if not match:
                raise InvalidCiphertext()
            row = match[0]
        key = await self._unwrap(owner, row)
        self.cache.put(key, current=row is rows[-1])
        return key

    # -- creating -------------------------------------------------------------------------

    async def get_or_create(self, owner: Owner) -> DataKey:
        """The owner's newest live key, creating one (a new version after a shred) if needed."""
        for _attempt in range(_CREATE_ATTEMPTS):
            cached = self.cache.get(owner)
            if cached is not None:
                return cached
            rows = await self._rows(owner)
            if rows and rows[-1].shredded_at is None:
                key = await self._unwrap(owner, rows[-1])
                self.cache.put(key, current=True)
                return key
            version = rows[-1].key_version + 1 if rows else 1
            try:
                return await self._create(owner, version)
            except IntegrityError:
                continue  # another request created it first: read theirs
        raise Conflict("Could not create a data key under contention; retry.")

    async def _create(self, owner: Owner, version: int) -> DataKey:
        material = os.urandom(KEY_SIZE)
        wrapped = await self.provider.wrap(material, dek_aad(owner, version))
        async with self.db.session() as session:
            await _scrub_on_delete(self.db, session)
            session.add(
                DataKeyRow(
                    owner_kind=owner.kind,
                    owner_id=owner.id,
                    key_version=version,
                    wrapped_key=wrapped.blob,
                    kek_version=wrapped.version,
                    created_at=self.clock.now(),
                )
            )
        key = DataKey(owner, version, material)
        self.cache.put(key, current=True)
        return key

    # -- shredding ------------------------------------------------------------------------

    async def shred(self, owner: Owner) -> int:
        """Destroy every wrapped key of ``owner``: all of its ciphertexts become unreadable.

        Returns how many key versions were destroyed. The rows stay as key-less tombstones.
        """
        if owner.kind == Owner.SYSTEM:
            raise Conflict("System keys cannot be shredded.")
        self.cache.forget(owner)  # first, so a concurrent reader cannot re-cache from memory
        async with self.db.session() as session:
            await _scrub_on_delete(self.db, session)
            result = await session.execute(
                update(DataKeyRow)
                .where(*_where_owner(owner), DataKeyRow.wrapped_key.is_not(None))
                .values(wrapped_key=None, kek_version=None, shredded_at=self.clock.now())
            )
            count: int = getattr(result, "rowcount", 0) or 0
        self.cache.forget(owner)
        await self._checkpoint()
        return count

    async def _checkpoint(self) -> None:
        if not self.db.is_sqlite:
            return
        # Old WAL frames still hold the pre-shred page; fold them into the main file and
        # truncate the WAL. Best effort: a long reader can keep frames alive until it ends.
        async with self.db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- KEK rotation ---------------------------------------------------------------------

    async def kek_usage(self) -> dict[int, int]:
        """How many live data keys each KEK version wraps."""
        async with self.db.session() as session:
            result = await session.execute(
                select(DataKeyRow.kek_version, func.count())
                .where(DataKeyRow.kek_version.is_not(None))
                .group_by(DataKeyRow.kek_version)
            )
            return {int(v): int(n) for v, n in result.all() if v is not None}

    async def rewrap_all(
        self, progress: Progress | None = None, *, batch_size: int = 200
    ) -> RewrapReport:
        """Re-wrap every data key not under the current KEK version, one batch per transaction."""
        current = self.provider.current_version
        stale = DataKeyRow.kek_version != current
        async with self.db.session() as session:
            total = int(await session.scalar(select(func.count()).where(stale)) or 0)
        done = 0
        if progress:
            progress(0, total)
        after: tuple[str, str, int] | None = None
        pk = tuple_(DataKeyRow.owner_kind, DataKeyRow.owner_id, DataKeyRow.key_version)
        while True:
            query = (
                select(DataKeyRow)
                .where(stale)
                .order_by(DataKeyRow.owner_kind, DataKeyRow.owner_id, DataKeyRow.key_version)
                .limit(batch_size)
            )
            if after is not None:
                query = query.where(pk > tuple_(*after))  # keyset paging: no row visited twice
            async with self.db.session() as session:
                batch = list(await session.scalars(query))
            if not batch:
                break
            updates = []
            for row in batch:
                owner = Owner(row.owner_kind, row.owner_id)
                key = await self._unwrap(owner, row)
                fresh = await self.provider.wrap(key.key, dek_aad(owner, row.key_version))
                updates.append((row, fresh))
            async with self.db.session() as session:
                await _scrub_on_delete(self.db, session)
                for row, fresh in updates:
                    # Guarded by the old version: a concurrent shred or rewrap wins.
                    await session.execute(
                        update(DataKeyRow)
                        .where(
                            DataKeyRow.owner_kind == row.owner_kind,
                            DataKeyRow.owner_id == row.owner_id,
                            DataKeyRow.key_version == row.key_version,
                            DataKeyRow.kek_version == row.kek_version,
                        )
                        .values(wrapped_key=fresh.blob, kek_version=fresh.version)
                    )
            done += len(batch)
            last = batch[-1]
            after = (last.owner_kind, last.owner_id, last.key_version)
            if progress:
                progress(done, total)
        return RewrapReport(kek_version=current, total=total, rewrapped=done)

    async def retire_kek(self, version: int) -> KeyVersion:
        """Retire a KEK version, refusing while any data key is still wrapped under it."""
        if version == self.provider.current_version:
            raise Conflict("The active KEK version cannot be retired; rotate first.")
        usage = (await self.kek_usage()).get(version, 0)
        if usage:
            raise Conflict(
                "Data keys are still wrapped under this KEK version; run `resguardo kek rotate` "
                "or `resguardo kek rewrap` first.",
                details={"kek_version": version, "data_keys": usage},
            )
        return await self.provider.retire(version)
