"""Data subjects, found and linked through blind indexes of their normalized identifiers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resguardo.errors import Conflict, InputError
from resguardo.vault.identifiers import normalize_identifier
from resguardo.vault.ports import BlindIndex
from resguardo.vault.tables import VaultIdentifierRow, VaultSubjectRow

__all__ = ["SubjectIndex", "new_id"]

# Kind label of the keyed hash that names a subject in audit events.
_SUBJECT_HASH_KIND = "subject"


def new_id() -> str:
    """A random 128-bit id as 32 hex characters (no time or order leaks)."""
    return uuid.uuid4().hex


class SubjectIndex:
    """Maps identifiers to subject ids without ever storing or comparing plaintext."""

    def __init__(self, blind: BlindIndex, *, default_region: str = "ES") -> None:
        self._blind = blind
        self._region = default_region

    def blinds(self, identifiers: Mapping[str, str]) -> list[tuple[str, str]]:
        """``(kind, blind index)`` for each identifier given (InputError if none or unusable)."""
        if not identifiers:
            raise InputError("At least one subject identifier is required.", code="no_identifier")
        out: list[tuple[str, str]] = []
        for kind, value in identifiers.items():
            norm_kind, norm = normalize_identifier(kind, value, default_region=self._region)
            out.append((norm_kind, self._blind.index(norm_kind, norm)))
        return out

    def subject_hash(self, subject_id: str) -> str:
        """The keyed hash that names a subject in audit events and audit queries."""
        return self._blind.index(_SUBJECT_HASH_KIND, subject_id)

    async def find(
        self, session: AsyncSession, environment: str, blinds: list[tuple[str, str]]
    ) -> str | None:
        """The one subject any of these identifiers belongs to; Conflict if they disagree."""
        found: set[str] = set()
        for kind, blind in blinds:
            row = await session.scalar(
                select(VaultIdentifierRow.subject_id).where(
                    VaultIdentifierRow.environment == environment,
                    VaultIdentifierRow.kind == kind,
                    VaultIdentifierRow.blind == blind,
                )
            )
            if row is not None:
                found.add(row)
        if len(found) > 1:
            # Two known identifiers name two different people: never merge silently.
            raise Conflict(
                "The identifiers belong to different subjects.", code="subject_ambiguous"
            )
        return next(iter(found), None)

    async def get(self, session: AsyncSession, subject_id: str) -> VaultSubjectRow | None:
        """The subject row, or None."""
        return await session.get(VaultSubjectRow, subject_id)

    async def link(
        self,
        session: AsyncSession,
        *,
        subject_id: str,
        environment: str,
        blinds: list[tuple[str, str]],
        now: datetime,
        create: bool,
    ) -> None:
        """Create the subject if asked and attach the identifiers it does not have yet."""
        if create:
            session.add(
                VaultSubjectRow(id=subject_id, environment=environment, created_at=now)
            )
            await session.flush()
        result = await session.execute(
            select(VaultIdentifierRow.kind, VaultIdentifierRow.blind).where(
                VaultIdentifierRow.subject_id == subject_id
            )
        )
        existing = {(kind, blind) for kind, blind in result.all()}
        for kind, blind in blinds:
            if (kind, blind) in existing:
                continue
            session.add(
                VaultIdentifierRow(
                    id=new_id(),
                    subject_id=subject_id,
                    environment=environment,
                    kind=kind,
                    blind=blind,
                    created_at=now,
                )
            )
        await session.flush()

    async def identifier_kinds(self, session: AsyncSession, subject_id: str) -> list[str]:
        """Which kinds of identifier link this subject (the values are never stored)."""
        rows = await session.scalars(
            select(VaultIdentifierRow.kind).where(VaultIdentifierRow.subject_id == subject_id)
        )
        return sorted(set(rows))
