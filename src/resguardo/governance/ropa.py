"""Records of processing activities (GDPR Art. 30), from the policy plus what was observed.

One record per workflow: purpose, legal basis, subjects, categories, recipients, transfers,
retention and security measures. Drift is a workflow the audit trail caught sending a
category (or reaching a provider) that its policy entry does not declare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from resguardo.governance.dpia import DpiaAssessment, DpiaThresholds, assess_policy
from resguardo.governance.observed import Observations
from resguardo.governance.transfers import (
    MECHANISM_LABELS,
    Transfer,
    allowed_flows,
    international_transfers,
)
from resguardo.policy.schema import Policy, Tier, Workflow

__all__ = ["Drift", "Recipient", "Ropa", "RopaRecord", "build_ropa", "find_drift"]


@dataclass(frozen=True)
class Drift:
    """Observed processing the policy does not declare."""

    workflow: str
    kind: str  # "category" | "provider" | "workflow"
    item: str
    requests: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"workflow": self.workflow, "kind": self.kind, "item": self.item,
                "requests": self.requests, "message": self.message}


@dataclass(frozen=True)
class Recipient:
    """A provider (processor) the workflow's data may reach."""

    provider: str
    tier: str
    country: str
    region: str | None
    in_eea: bool
    mechanism: str
    trains_on_data: bool
    categories: tuple[str, ...]
    observed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.__dict__, "categories": list(self.categories),
                "observed": list(self.observed)}


@dataclass
class RopaRecord:
    """One processing activity (one workflow)."""

    workflow: str
    description: str
    purpose: str
    legal_basis: str | None
    art9_condition: str | None
    data_subjects: list[str]
    categories: list[str]
    observed_categories: dict[str, int]
    recipients: list[Recipient]
    collections: list[dict[str, Any]]
    retention: list[str]
    security: list[str]
    automated_decision: bool
    human_review: bool
    dpia: str | None
    volume_per_month: int | None
    observed_requests: int
    drift: list[Drift] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = dict(self.__dict__)
        out["recipients"] = [r.to_dict() for r in self.recipients]
        out["drift"] = [d.to_dict() for d in self.drift]
        return out


@dataclass
class Ropa:
    """The whole register, with its transfers, DPIA verdicts and drift."""

    controller: dict[str, Any]
    generated_at: datetime
    since: datetime | None
    until: datetime | None
    records: list[RopaRecord]
    transfers: list[Transfer]
    dpia: list[DpiaAssessment]
    drift: list[Drift]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``--format json`` output)."""
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"controller": self.controller, "generated_at": iso(self.generated_at),
                "observed_since": iso(self.since), "observed_until": iso(self.until),
                "records": [r.to_dict() for r in self.records],
                "transfers": [t.to_dict() for t in self.transfers],
                "dpia": [a.to_dict() for a in self.dpia],
                "drift": [d.to_dict() for d in self.drift]}


def find_drift(policy: Policy, observations: Observations) -> list[Drift]:
    """Every observed category, provider or workflow the policy does not declare."""
    found: list[Drift] = []
    for wf_id, obs in sorted(observations.workflows.items()):
        wf = policy.workflow(wf_id)
        if wf is None:
            if obs.requests:
                found.append(Drift(wf_id, "workflow", wf_id, obs.requests,
                                   f"workflow '{wf_id}' sent requests but is not in the policy"))
            continue
        for cat, n in sorted(obs.categories.items()):
            if cat not in wf.categories:
                found.append(Drift(wf_id, "category", cat, n,
                                   f"workflow '{wf_id}' was observed sending '{cat}' data "
                                   f"({n} requests), which its policy does not declare"))
        for pid, cats in sorted(obs.providers.items()):
            if pid not in wf.providers:
                found.append(Drift(wf_id, "provider", pid, sum(cats.values()) or 1,
                                   f"workflow '{wf_id}' reached provider '{pid}', which its "
                                   "policy does not list"))
    return found


def _retention(policy: Policy, wf: Workflow) -> list[str]:
    lines: list[str] = []
    if wf.retention_days is not None:
        lines.append(f"workflow data: {wf.retention_days} days")
    for access in wf.collections:
        col = policy.collection(access.collection)
        if col is not None:
            days = access.retention_days or col.retention_days
            lines.append(f"vault '{col.id}': {days} days")
    for cat in wf.categories:
        rule = next((r for r in policy.retention if r.category == cat), None)
        if rule is not None:
            lines.append(f"{cat}: {rule.days} days ({rule.action})")
    lines.append(f"audit trail: {policy.audit_retention_days} days (no raw values)")
    return lines


def _security(wf: Workflow, recipients: list[Recipient]) -> list[str]:
    measures = [
        f"pseudonymization before the model ({wf.pseudonymization}); values restored only "
        "in the requesting scope",
        "per-workflow API keys limited to declared categories, providers and endpoints",
        "tamper-evident, hash-chained audit trail without raw personal values",
    ]
    if wf.fields is not None:
        measures.append("field allowlist (data minimization) before detection")
    if wf.reply_scan != "off":
        measures.append(f"replies scanned for personal data ({wf.reply_scan})")
    if wf.collections:
        measures.append("vault: AES-256-GCM envelope encryption, one key per data subject, "
                        "erasure by crypto-shredding")
    if any(not r.in_eea or r.tier != Tier.LOCAL.value for r in recipients):
        measures.append("TLS to remote providers; providers that train on data are refused "
                        "personal data")
    if wf.automated_decision and wf.human_review:
        measures.append("human review of automated decisions before release (Art. 22(3))")
    return measures


def _recipients(policy: Policy, wf: Workflow, flows: dict[tuple[str, str], list[str]],
                obs: Observations | None) -> list[Recipient]:
    seen = obs.of(wf.id).providers if obs is not None else {}
    out: list[Recipient] = []
    for pid in list(wf.providers) + sorted(set(seen) - set(wf.providers)):
        p = policy.provider(pid)
        cats = tuple(c for c in wf.categories if pid in flows.get((wf.id, c), []))
        observed = tuple(sorted(seen.get(pid, {})))
        if p is None:
            out.append(Recipient(pid, "unknown", "??", None, False, "unknown", False, cats,
                                 observed))
            continue
        out.append(Recipient(
            pid, p.tier.value, p.country.upper(), p.region, p.in_eea,
            "none needed (EEA)" if p.in_eea else MECHANISM_LABELS[p.transfer_mechanism],
            p.trains_on_data, cats, observed))
    return out


def build_ropa(
    policy: Policy,
    observations: Observations | None,
    generated_at: datetime,
    thresholds: DpiaThresholds | None = None,
) -> Ropa:
    """The Art. 30 register for ``policy``, enriched with ``observations`` when given."""
    flows = allowed_flows(policy)
    drift = find_drift(policy, observations) if observations is not None else []
    records: list[RopaRecord] = []
    for wf in policy.workflows:
        obs = observations.of(wf.id) if observations is not None else None
        recipients = _recipients(policy, wf, flows, observations)
        collections = []
        for access in wf.collections:
            col = policy.collection(access.collection)
            collections.append({
                "collection": access.collection,
                "category": col.category if col else None,
                "access": "read/write" if access.write and access.read
                else "write" if access.write else "read",
                "retention_days": access.retention_days or (col.retention_days if col else None),
            })
        records.append(RopaRecord(
            workflow=wf.id, description=wf.description, purpose=wf.purpose,
            legal_basis=wf.legal_basis.value if wf.legal_basis else None,
            art9_condition=wf.art9_condition.value if wf.art9_condition else None,
            data_subjects=list(wf.data_subjects), categories=list(wf.categories),
            observed_categories=dict(sorted(obs.categories.items())) if obs else {},
            recipients=recipients, collections=collections,
            retention=_retention(policy, wf), security=_security(wf, recipients),
            automated_decision=wf.automated_decision, human_review=wf.human_review,
            dpia=wf.dpia, volume_per_month=wf.volume_per_month,
            observed_requests=obs.requests if obs else 0,
            drift=[d for d in drift if d.workflow == wf.id],
        ))
    c = policy.controller
    controller = {"name": c.name, "contact": c.contact, "dpo": c.dpo, "country": c.country,
                  "supervisory_authority": c.supervisory_authority}
    return Ropa(controller, generated_at,
                observations.since if observations else None,
                observations.until if observations else None,
                records, international_transfers(policy, observations),
                assess_policy(policy, observations, thresholds), drift)
