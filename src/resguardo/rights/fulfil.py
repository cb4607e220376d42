"""Answering access, portability and rectification requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resguardo.errors import NotFound
from resguardo.rights.export import build_package, package_json, render_html
from resguardo.rights.requests import RightKind, RightsRequest, RightsRequests, Status
from resguardo.vault.access import operator_grant
from resguardo.vault.records import VaultRecord
from resguardo.vault.tables import VaultRecordRow

__all__ = ["ExportPackage", "export_subject", "rectify_record"]


@dataclass(frozen=True)
class ExportPackage:
    """The package for one access or portability request."""

    data: dict[str, Any]
    html: str

    @property
    def json_bytes(self) -> bytes:
        """The machine-readable form."""
        return package_json(self.data)


async def export_subject(
    requests: RightsRequests, request_id: str, *, actor: str, complete: bool = True
) -> ExportPackage:
    """Build the package (Art. 15 / 20); the request is completed unless told otherwise."""
    row = await requests.verified(request_id, RightKind.ACCESS, RightKind.PORTABILITY)
    subject_id = row.subject_id
    records: list[VaultRecord] = []
    kinds: list[str] = []
    subject_hash: str | None = None
    events: list[Any] = []
    if subject_id is not None:
        records = await requests.vault.subject_records(subject_id)
        async with requests.db.session() as session:
            kinds = await requests.vault.subjects.identifier_kinds(session, subject_id)
        subject_hash = requests.vault.subjects.subject_hash(subject_id)
        events = list(await requests.audit_query(subject_hash))
    # Audited before the package leaves: no event, no package.
    await requests.step(row, "exported", actor, records=len(records),
                        collections=sorted({r.collection for r in records}))
    now = requests.clock.now()
    if complete:
        view = await requests.apply(request_id, status=Status.COMPLETED.value,
                                    completed_at=now, outcome="exported")
    else:
        view = RightsRequest.of(row)
    package = build_package(
        policy=requests.vault.policy,
        request=view.to_dict(),
        subject_hash=subject_hash,
        identifier_kinds=kinds,
        records=records,
        events=events,
        now=now,
    )
    return ExportPackage(package, render_html(package))


async def rectify_record(
    requests: RightsRequests,
    request_id: str,
    *,
    record_id: str,
    fields: Mapping[str, Any],
    actor: str,
) -> VaultRecord:
    """Correct one of the subject's records (Art. 16); the field allowlist still applies."""
    row = await requests.verified(request_id, RightKind.RECTIFICATION)
    async with requests.db.session() as session:
        record = await session.get(VaultRecordRow, record_id)
    if record is None or row.subject_id is None or record.subject_id != row.subject_id:
        # A record of someone else is "not found": a request reaches only its own subject.
        raise NotFound("Unknown record.")
    grant = operator_grant(
        requests.vault.policy, record.collection, environment=row.environment, actor=actor
    )
    await requests.step(row, "rectified", actor, record_id=record_id,
                        collection=record.collection, fields=sorted(fields))
    return await requests.vault.update(grant, record_id, fields)
