"""The access / portability package (GDPR Art. 15 and 20): JSON plus a readable HTML page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from resguardo.audit.events import AuditEvent
from resguardo.policy.schema import Policy
from resguardo.retention.rules import collection_retention
from resguardo.vault.ports import AuditRecord
from resguardo.vault.records import VaultRecord

__all__ = ["PACKAGE_FORMAT", "build_package", "package_json", "render_html"]

PACKAGE_FORMAT = "resguardo.subject-package/v1"


def _processing(policy: Policy, collections: set[str]) -> list[dict[str, Any]]:
    """For each collection holding the subject's data: why, who receives it, for how long."""
    out: list[dict[str, Any]] = []
    for coll_id in sorted(collections):
        collection = policy.collection(coll_id)
        if collection is None:
            continue
        days, action = collection_retention(policy, coll_id)
        purposes, recipients = [], {}
        for workflow in policy.workflows:
            if not any(a.collection == coll_id for a in workflow.collections):
                continue
            purposes.append({
                "workflow": workflow.id,
                "purpose": workflow.purpose,
                "legal_basis": str(workflow.legal_basis) if workflow.legal_basis else None,
            })
            for provider_id in workflow.providers:
                provider = policy.provider(provider_id)
                if provider is not None:
                    recipients[provider.id] = {
                        "provider": provider.id,
                        "country": provider.country,
                        "transfer_mechanism": str(provider.transfer_mechanism),
                    }
        out.append({
            "collection": coll_id,
            "category": collection.category,
            "description": collection.description,
            "retention_days": days,
            "retention_action": action,
            "purposes": purposes,
            "recipients": sorted(recipients.values(), key=lambda r: r["provider"]),
        })
    return out


def _event(event: AuditRecord, subject_hash: str) -> dict[str, Any] | None:
    """The event as shown to its subject, or None when it is not about them."""
    if isinstance(event, AuditEvent):
        subjects: Sequence[str] = event.subject_hashes
        at = event.at.isoformat() if event.at else None
        fields: dict[str, Any] = {"kind": event.kind, "outcome": event.outcome,
                                  "workflow": event.workflow,
                                  "environment": event.environment, "data": dict(event.data)}
    else:
        subjects = event.get("subjects") or ()
        at = event.get("at")
        fields = {k: event.get(k) for k in ("kind", "outcome", "workflow", "environment")}
        fields["data"] = dict(event.get("data") or {})
    if not subject_hash or subject_hash not in subjects:
        return None
    # Keep only this subject's hash: an event naming several subjects must not leak the others.
    return {"at": at, **fields, "subject_hash": subject_hash}


def build_package(
    *,
    policy: Policy,
    request: dict[str, Any],
    subject_hash: str | None,
    identifier_kinds: Sequence[str],
    records: Sequence[VaultRecord],
    events: Sequence[AuditRecord],
    now: datetime,
) -> dict[str, Any]:
    """Everything about one subject, and nothing about anyone else."""
    mine = [shown for e in events if (shown := _event(e, subject_hash or "")) is not None]
    return {
        "format": PACKAGE_FORMAT,
        "generated_at": now.isoformat(),
        "controller": {
            "name": policy.controller.name,
            "contact": policy.controller.contact,
            "dpo": policy.controller.dpo,
            "supervisory_authority": policy.controller.supervisory_authority,
        },
        "request": request,
        "subject": {"identifier_kinds": list(identifier_kinds), "subject_hash": subject_hash},
        "records": [
            {k: v for k, v in r.to_dict().items() if k != "subject_id"} for r in records
        ],
        "processing": _processing(policy, {r.collection for r in records}),
        "audit_events": mine,
    }


def package_json(package: dict[str, Any]) -> bytes:
    """The machine-readable form (Art. 20: structured, commonly used)."""
    return orjson.dumps(package, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    else:
        text = "" if value is None else str(value)
    return html.escape(text)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(package: dict[str, Any]) -> str:
    """A self-contained page a person can read (every value escaped)."""
    controller = package["controller"]
    records = package["records"]
    record_blocks = "".join(
        f"<h3>{_cell(r['collection'])} · {_cell(r['id'])}</h3>"
        f"<p>Created {_cell(r['created_at'])}, updated {_cell(r['updated_at'])}</p>"
        + _table([{"field": k, "value": v} for k, v in sorted(r["fields"].items())],
                 ("field", "value"))
        for r in records
    ) or "<p>We hold no records about you.</p>"
    processing = "".join(
        f"<h3>{_cell(p['collection'])} ({_cell(p['category'])})</h3>"
        f"<p>Kept for {_cell(p['retention_days'])} days.</p>"
        + _table(p["purposes"], ("workflow", "purpose", "legal_basis"))
        + "<h4>Recipients</h4>"
        + _table(p["recipients"], ("provider", "country", "transfer_mechanism"))
        for p in package["processing"]
    )
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Your personal data</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em}</style>"
        "</head><body>"
        f"<h1>Your personal data held by {_cell(controller['name'])}</h1>"
        f"<p>Generated {_cell(package['generated_at'])} for request "
        f"{_cell(package['request'].get('id'))}. Contact: {_cell(controller['contact'])}"
        + (f", data protection officer: {_cell(controller['dpo'])}" if controller["dpo"] else "")
        + f". Supervisory authority: {_cell(controller['supervisory_authority'])}.</p>"
        f"<h2>Records ({len(records)})</h2>{record_blocks}"
        f"<h2>Purposes, recipients and retention</h2>{processing or '<p>None.</p>'}"
        "<h2>Activity about you</h2>"
        + _table(package["audit_events"], ("at", "kind", "outcome", "workflow", "data"))
        + "</body></html>"
    )
