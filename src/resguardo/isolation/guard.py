"""Real data in test is stopped: a test request carrying a live subject's identifier is blocked.

The gateway hands the guard the (entity type, value) pairs it detected in a request. For a
test-environment request each identifier (email, phone, national ID, …) is normalized the
way the vault normalizes it, blind-indexed with the vault's key, and looked up among the
live environment's subject identifiers. A hit means someone is testing with a real
customer's data: the request is refused (``PolicyDenied``, code ``live_data_in_test``),
an audit event is written and an alert is raised. No value is ever stored or reported:
only entity types, counts and keyed subject hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from sqlalchemy import select

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.auth.principal import Principal
from resguardo.clock import Clock, SystemClock
from resguardo.errors import (
    AuditWriteFailed,
    InputError,
    PolicyDenied,
    StoreUnavailable,
)
from resguardo.monitor.anomaly import Alert
from resguardo.store.db import Database
from resguardo.vault.identifiers import IdentifierKind, normalize_identifier
from resguardo.vault.ports import BlindIndex

__all__ = [
    "AUDIT_KIND",
    "ENTITY_KINDS",
    "GuardResult",
    "LiveIdentifierLookup",
    "LiveSubjectGuard",
    "VaultLiveLookup",
]

log = logging.getLogger("resguardo.isolation")

AUDIT_KIND = "isolation.live_data_in_test"
DENIAL_CODE = "live_data_in_test"
LIVE = "live"
# Detector entity type -> vault identifier kind. Kinds the vault does not index yet (an
# IBAN) are skipped until it does: the lookup could never match them.
ENTITY_KINDS: dict[str, str] = {
    "EMAIL": "email",
    "PHONE": "phone",
    "ES_DNI": "national_id",
    "ES_NIE": "national_id",
    "ES_NIF": "national_id",
    "NATIONAL_ID": "national_id",
    "IBAN": "iban",
}
_SUBJECT_HASH_KIND = "subject"  # as resguardo.vault.subjects names subjects in audit events
_CHUNK = 500

AlertHook = Callable[[Alert], Awaitable[None]]


class LiveIdentifierLookup(Protocol):
    """Which of these (kind, blind index) pairs belong to a live subject, with its id."""

    async def live_matches(self, blinds: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """``(kind, subject id)`` for every pair found among live identifiers."""
        ...


class VaultLiveLookup:
    """The lookup over the vault's ``vault_identifiers`` table (environment ``live``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def live_matches(self, blinds: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Matches among live identifiers, queried in chunks by blind index."""
        from resguardo.vault.tables import VaultIdentifierRow as Row

        wanted = set(blinds)
        found: list[tuple[str, str]] = []
        values = sorted({b for _, b in wanted})
        async with self.db.session() as session:
            for i in range(0, len(values), _CHUNK):
                rows = await session.execute(
                    select(Row.kind, Row.blind, Row.subject_id).where(
                        Row.environment == LIVE, Row.blind.in_(values[i : i + _CHUNK])
                    )
                )
                found.extend((k, s) for k, b, s in rows.all() if (k, b) in wanted)
        return found


@dataclass(frozen=True)
class GuardResult:
    """The outcome of a check that let the request through."""

    environment: str
    checked: int = 0  # identifiers looked up
    skipped: int = 0  # values that are not usable identifiers (unparseable phone, …)


class LiveSubjectGuard:
    """Blocks test-environment requests that carry a live data subject's identifier."""

    def __init__(
        self,
        db: Database | None,
        indexer: BlindIndex,
        *,
        audit: AuditSink | None = None,
        on_alert: AlertHook | None = None,
        lookup: LiveIdentifierLookup | None = None,
        clock: Clock | None = None,
        default_region: str = "ES",
    ) -> None:
        if lookup is None:
            if db is None:
                raise ValueError("LiveSubjectGuard needs a database or a lookup.")
            lookup = VaultLiveLookup(db)
        self.lookup = lookup
        self.indexer = indexer
        self.audit = audit
        self.on_alert = on_alert
        self.clock = clock or SystemClock()
        self.region = default_region
        self._kinds = {k.value for k in IdentifierKind}

    def blinds(self, values: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]], int]:
        """Distinct ``(kind, blind index)`` pairs for the identifiers among ``values``."""
        out: dict[tuple[str, str], None] = {}
        skipped = 0
        for entity_type, value in values:
            kind = ENTITY_KINDS.get(entity_type.upper())
            if kind is None or kind not in self._kinds:
                continue
            try:
                norm_kind, norm = normalize_identifier(kind, value, default_region=self.region)
            except InputError:
                skipped += 1
                continue
            out[(norm_kind, self.indexer.index(norm_kind, norm))] = None
        return list(out), skipped

    async def check(
        self,
        environment: str,
        findings_values: Sequence[tuple[str, str]],
        *,
        principal: Principal | None = None,
        request_id: str | None = None,
    ) -> GuardResult:
        """Pass, or raise PolicyDenied(live_data_in_test) after auditing and alerting."""
        if environment == LIVE:
            return GuardResult(environment)  # live traffic is live data by definition
        blinds, skipped = self.blinds(findings_values)
        if not blinds:
            return GuardResult(environment, 0, skipped)
        try:
            matches = await self.lookup.live_matches(blinds)
        except Exception:
            # Fail closed: if we cannot tell whether this is a real customer, it does not pass.
            raise StoreUnavailable("The live-data check could not run; nothing was forwarded.",
                                   code="isolation_check_failed") from None
        if not matches:
            return GuardResult(environment, len(blinds), skipped)
        await self._block(environment, matches, findings_values, principal, request_id)

    async def _block(
        self,
        environment: str,
        matches: Sequence[tuple[str, str]],
        values: Sequence[tuple[str, str]],
        principal: Principal | None,
        request_id: str | None,
    ) -> NoReturn:
        kinds = sorted({k for k, _ in matches})
        types = sorted({t.upper() for t, _ in values if ENTITY_KINDS.get(t.upper()) in kinds})
        subjects = sorted({self.indexer.index(_SUBJECT_HASH_KIND, s) for _, s in matches})
        data: dict[str, Any] = {"entity_types": types, "identifier_kinds": kinds,
                                "subjects": len(subjects), "action": "blocked"}
        if request_id is not None:
            data["request_id"] = request_id
        now = self.clock.now()
        if self.audit is not None:
            event = AuditEvent(
                kind=AUDIT_KIND, outcome="blocked",
                actor=principal.key_id if principal else None,
                workflow=principal.workflow_id if principal else None,
                environment=environment,
                source_ip=principal.source_ip if principal else None,
                subject_hashes=tuple(subjects), data=data, at=now,
            )
            try:
                await self.audit.record(event)
            except AuditWriteFailed:
                raise
            except Exception:
                raise AuditWriteFailed() from None
        if self.on_alert is not None:
            alert = Alert(
                rule=DENIAL_CODE,
                key_id=principal.key_id if principal else "-",
                workflow=principal.workflow_id if principal else "-",
                detail=(f"a {environment} request carried identifiers of "
                        f"{len(subjects)} live data subject(s) ({', '.join(types)}); blocked"),
                at=now,
                values={"subjects": len(subjects), "entity_types": ",".join(types)},
            )
            try:
                await self.on_alert(alert)
            except Exception:
                # The block stands whatever happens to the notification; the audit has it.
                log.warning("live-data alert could not be delivered", exc_info=False)
        raise PolicyDenied(
            "This test request carries data of a real (live) data subject; use synthetic "
            "or anonymized data.",
            code=DENIAL_CODE,
            details={"reason": DENIAL_CODE, "entity_types": types},
        )
