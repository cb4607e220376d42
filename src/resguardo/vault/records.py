"""The vault: encrypted records per data subject, with audited, allowlisted access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from resguardo.audit.events import AuditEvent
from resguardo.auth.principal import Principal
from resguardo.clock import Clock
from resguardo.errors import Conflict, Forbidden, InputError, NotFound
from resguardo.policy.schema import Policy
from resguardo.store.db import Database
from resguardo.vault.access import Grant, Mode, authorize
from resguardo.vault.ports import VaultCrypto, subject_owner
from resguardo.vault.subjects import SubjectIndex, new_id
from resguardo.vault.tables import (
    RECORDS_TABLE,
    VaultIdentifierRow,
    VaultRecordRow,
    VaultSubjectRow,
)

__all__ = ["Vault", "VaultRecord"]


@dataclass(frozen=True)
class VaultRecord:
    """A decrypted record as handed to an authorized caller."""

    id: str
    subject_id: str
    collection: str
    category: str
    created_at: datetime
    updated_at: datetime
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "subject_id": self.subject_id,
            "collection": self.collection,
            "category": self.category,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "fields": self.fields,
        }


def _encode(fields: Mapping[str, Any]) -> bytes:
    try:
        return orjson.dumps(dict(fields), option=orjson.OPT_SORT_KEYS)
    except TypeError:
        raise InputError("Record fields must be JSON values.", code="invalid_fields") from None


class Vault:
    """Create, read, update, delete and list records; every access writes an audit event."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        crypto: VaultCrypto,
        clock: Clock,
        *,
        default_region: str = "ES",
    ) -> None:
        self.db = db
        self.policy = policy
        self.crypto = crypto
        self.clock = clock
        self.subjects = SubjectIndex(crypto.blind, default_region=default_region)

    # -- authorization -------------------------------------------------------------------

    async def authorize(self, principal: Principal, collection_id: str, mode: Mode) -> Grant:
        """The grant for a key; a refusal is audited before it is raised."""
        try:
            return authorize(self.policy, principal, collection_id, mode)
        except (Forbidden, NotFound) as exc:
            # An id the policy does not know is caller text (it may be a personal value).
            known = self.policy.collection(collection_id) is not None
            await self._audit(
                "vault.denied", "denied", actor=principal.key_id,
                workflow=principal.workflow_id, environment=principal.environment,
                source_ip=principal.source_ip,
                data={"collection": collection_id if known else None, "mode": mode,
                      "code": exc.code},
            )
            raise

    # -- record operations ---------------------------------------------------------------

    async def create(
        self, grant: Grant, identifiers: Mapping[str, str], fields: Mapping[str, Any]
    ) -> VaultRecord:
        """Store a record for the subject these identifiers name (creating the subject if new)."""
        self._require(grant, "write")
        grant.check_fields(set(fields))
        blinds = self.subjects.blinds(identifiers)
        async with self.db.session() as session:
            subject_id = await self.subjects.find(session, grant.environment, blinds)
            if subject_id is not None:
                await self._require_active(session, subject_id)
        is_new = subject_id is None
        subject_id = subject_id or new_id()
        record_id = new_id()
        # Encrypt before the write transaction: the key store may write in its own session.
        blob = await self.crypto.cipher.encrypt(
            subject_owner(subject_id), _encode(fields), table=RECORDS_TABLE, record_id=record_id
        )
        now = self.clock.now()
        coll = grant.collection
        try:
            async with self.db.session() as session:
                await self.subjects.link(
                    session, subject_id=subject_id, environment=grant.environment,
                    blinds=blinds, now=now, create=is_new,
                )
                session.add(VaultRecordRow(
                    id=record_id, subject_id=subject_id, environment=grant.environment,
                    collection=coll.id, category=coll.category, workflow=grant.workflow_id,
                    created_at=now, updated_at=now, ciphertext=blob,
                ))
        except IntegrityError:
            raise Conflict("The subject changed concurrently; retry.", code="retry") from None
        # Audit after the commit (SQLite has one writer: the audit log cannot write while we
        # hold the lock); if it fails the record is taken back, so nothing stays unaudited.
        try:
            await self._audit_grant(grant, "vault.create", subject_id, record_id,
                                    fields=sorted(fields))
        except Exception:
            await self._undo_create(record_id, subject_id if is_new else None)
            raise
        return VaultRecord(record_id, subject_id, coll.id, coll.category, now, now, dict(fields))

    async def _undo_create(self, record_id: str, new_subject_id: str | None) -> None:
        async with self.db.session() as session:
            await session.execute(delete(VaultRecordRow).where(VaultRecordRow.id == record_id))
            if new_subject_id is not None:
                await session.execute(delete(VaultIdentifierRow).where(
                    VaultIdentifierRow.subject_id == new_subject_id))
                await session.execute(
                    delete(VaultSubjectRow).where(VaultSubjectRow.id == new_subject_id))
        if new_subject_id is not None:
            await self.crypto.keys.shred(subject_owner(new_subject_id))

    async def read(self, grant: Grant, record_id: str) -> VaultRecord:
        """One record, with only the fields the grant lets through."""
        self._require(grant, "read")
        async with self.db.session() as session:
            row = await self._row(session, grant, record_id)
            await self._require_active(session, row.subject_id)
        record = await self._decrypt(row)
        await self._audit_grant(grant, "vault.read", row.subject_id, record_id)
        return _filtered(record, grant)

    async def update(
        self, grant: Grant, record_id: str, fields: Mapping[str, Any], *, replace: bool = False
    ) -> VaultRecord:
        """Merge (or replace) a record's fields; the write allowlist applies to the new fields."""
        self._require(grant, "write")
        grant.check_fields(set(fields))
        async with self.db.session() as session:
            row = await self._row(session, grant, record_id)
            await self._require_active(session, row.subject_id)
        current = await self._decrypt(row)
        merged = dict(fields) if replace else {**current.fields, **fields}
        blob = await self.crypto.cipher.encrypt(
            subject_owner(row.subject_id), _encode(merged), table=RECORDS_TABLE, record_id=record_id
        )
        now = self.clock.now()
        async with self.db.session() as session:
            result = await session.execute(
                update(VaultRecordRow)
                .where(VaultRecordRow.id == record_id,
                       VaultRecordRow.updated_at == row.updated_at)
                .values(ciphertext=blob, updated_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                # Someone else wrote in between: refuse rather than lose their change.
                raise Conflict("The record changed concurrently; retry.", code="retry")
        try:
            await self._audit_grant(grant, "vault.update", row.subject_id, record_id,
                                    fields=sorted(fields))
        except Exception:
            # No event, no change: put the previous ciphertext back.
            async with self.db.session() as session:
                await session.execute(
                    update(VaultRecordRow).where(VaultRecordRow.id == record_id)
                    .values(ciphertext=row.ciphertext, updated_at=row.updated_at)
                )
            raise
        return _filtered(
            VaultRecord(row.id, row.subject_id, row.collection, row.category,
                        row.created_at, now, merged),
            grant,
        )

    async def delete(self, grant: Grant, record_id: str) -> None:
        """Delete one record (its ciphertext is gone; the subject's key stays for the others)."""
        self._require(grant, "write")
        async with self.db.session() as session:
            row = await self._row(session, grant, record_id)
            await self._require_active(session, row.subject_id)
        # Audited first: if the event cannot be written, nothing is deleted.
        await self._audit_grant(grant, "vault.delete", row.subject_id, record_id)
        async with self.db.session() as session:
            await session.execute(delete(VaultRecordRow).where(VaultRecordRow.id == record_id))

    async def list_by_subject(self, grant: Grant, kind: str, value: str) -> list[VaultRecord]:
        """The subject's records in the grant's collection, found by one identifier."""
        self._require(grant, "read")
        blinds = self.subjects.blinds({kind: value})
        async with self.db.session() as session:
            subject_id = await self.subjects.find(session, grant.environment, blinds)
            if subject_id is None:
                rows: list[VaultRecordRow] = []
            else:
                await self._require_active(session, subject_id)
                rows = list(await session.scalars(
                    select(VaultRecordRow)
                    .where(VaultRecordRow.subject_id == subject_id,
                           VaultRecordRow.environment == grant.environment,
                           VaultRecordRow.collection == grant.collection.id)
                    .order_by(VaultRecordRow.created_at, VaultRecordRow.id)
                ))
        records = [_filtered(await self._decrypt(r), grant) for r in rows]
        await self._audit(
            "vault.list", "success", actor=grant.actor, workflow=grant.workflow_id,
            environment=grant.environment, source_ip=grant.source_ip,
            subject_hashes=(self.subjects.subject_hash(subject_id),) if subject_id else (),
            data={"collection": grant.collection.id, "count": len(records)},
        )
        return records

    # -- subject-wide operations (rights, retention) --------------------------------------

    async def find_subject(self, environment: str, kind: str, value: str) -> str | None:
        """The subject id one identifier names in an environment, or None."""
        blinds = self.subjects.blinds({kind: value})
        async with self.db.session() as session:
            return await self.subjects.find(session, environment, blinds)

    async def subject_records(self, subject_id: str) -> list[VaultRecord]:
        """Every record of a subject, decrypted, for an access package (callers audit)."""
        async with self.db.session() as session:
            rows = list(await session.scalars(
                select(VaultRecordRow).where(VaultRecordRow.subject_id == subject_id)
                .order_by(VaultRecordRow.created_at, VaultRecordRow.id)
            ))
        return [await self._decrypt(r) for r in rows]

    async def break_glass(
        self, *, actor: str, environment: str, subject_id: str, reason: str
    ) -> list[VaultRecord]:
        """Read a blocked subject's records: only with a stated reason, always audited first."""
        if len(reason.strip()) < 8:
            raise InputError("Break-glass access needs a reason.", code="reason_required")
        async with self.db.session() as session:
            subject = await self.subjects.get(session, subject_id)
            if subject is None or subject.environment != environment:
                raise NotFound("Unknown subject.")
        # The event is written before any plaintext is produced (fail closed).
        await self._audit(
            "vault.break_glass", "success", actor=actor, environment=environment,
            subject_hashes=(self.subjects.subject_hash(subject_id),),
            data={"reason": reason.strip()[:200], "state": subject.state},
        )
        return await self.subject_records(subject_id)

    async def purge_subject(self, subject_id: str) -> int:
        """Crypto-shred the subject's key, then delete its records, identifiers and row."""
        # Shred first: from this instant every copy of the ciphertext (backups too) is noise.
        await self.crypto.keys.shred(subject_owner(subject_id))
        async with self.db.session() as session:
            if self.db.is_sqlite:
                # Zero freed pages instead of leaving old bytes in the file's free space.
                await session.execute(text("PRAGMA secure_delete=ON"))
            result = await session.execute(
                delete(VaultRecordRow).where(VaultRecordRow.subject_id == subject_id)
            )
            await session.execute(
                delete(VaultIdentifierRow).where(VaultIdentifierRow.subject_id == subject_id)
            )
            await session.execute(delete(VaultSubjectRow).where(VaultSubjectRow.id == subject_id))
        return int(result.rowcount)  # type: ignore[attr-defined]

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _require(grant: Grant, mode: Mode) -> None:
        if mode == "write" and grant.mode != "write":
            raise Forbidden("This grant is read-only.")

    async def _row(self, session: AsyncSession, grant: Grant, record_id: str) -> VaultRecordRow:
        row = await session.get(VaultRecordRow, record_id)
        # Another environment's or collection's record is "not found", not "forbidden":
        # a test key learns nothing about live data.
        if row is None or row.environment != grant.environment or (
            row.collection != grant.collection.id
        ):
            raise NotFound("Unknown record.")
        return row

    async def _require_active(self, session: AsyncSession, subject_id: str) -> None:
        subject = await self.subjects.get(session, subject_id)
        if subject is not None and subject.state != "active":
            # LOPDGDD Art. 32: blocked data is reachable only through break-glass access.
            raise Forbidden("The subject's data is blocked.", code="subject_blocked")

    async def _decrypt(self, row: VaultRecordRow) -> VaultRecord:
        plain = await self.crypto.cipher.decrypt(
            subject_owner(row.subject_id), row.ciphertext, table=RECORDS_TABLE, record_id=row.id
        )
        return VaultRecord(row.id, row.subject_id, row.collection, row.category,
                           row.created_at, row.updated_at, orjson.loads(plain))

    async def _audit_grant(
        self, grant: Grant, kind: str, subject_id: str, record_id: str, **data: Any
    ) -> None:
        await self._audit(
            kind, "success", actor=grant.actor, workflow=grant.workflow_id,
            environment=grant.environment, source_ip=grant.source_ip,
            subject_hashes=(self.subjects.subject_hash(subject_id),),
            data={"collection": grant.collection.id, "category": grant.collection.category,
                  "record_id": record_id, **data},
        )

    async def _audit(self, kind: str, outcome: str, **kwargs: Any) -> None:
        await self.crypto.audit.record(
            AuditEvent(kind=kind, outcome=outcome, at=self.clock.now(), **kwargs)
        )


def _filtered(record: VaultRecord, grant: Grant) -> VaultRecord:
    return VaultRecord(record.id, record.subject_id, record.collection, record.category,
                       record.created_at, record.updated_at, grant.filter_fields(record.fields))
