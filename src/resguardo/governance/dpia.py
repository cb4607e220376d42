"""DPIA triggers (GDPR Art. 35): the EDPB/WP248 criteria and the Spanish AEPD list.

Each workflow is checked against nine criteria, from the policy, the DPO's declarations
(``Workflow.dpia_criteria``) and, when given, what the audit trail observed. WP248's rule
of thumb (kept by the AEPD's Art. 35(4) list): two or more criteria → a DPIA is required.
The three Art. 35(3) cases require one outright.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from resguardo.governance.observed import Observations
from resguardo.policy.rules import is_personal
from resguardo.policy.schema import AdapterKind, Policy, Workflow

__all__ = [
    "CRITERIA",
    "Criterion",
    "DpiaAssessment",
    "DpiaThresholds",
    "Hit",
    "assess_policy",
    "assess_workflow",
]


@dataclass(frozen=True)
class Criterion:
    """One criterion and where the guidance states it."""

    id: str
    title: str
    wp248: str
    aepd: str


CRITERIA: dict[str, Criterion] = {c.id: c for c in (
    Criterion("profiling", "Evaluation or scoring, including profiling", "WP248 III.B.a(1)",
              "AEPD lista 35.4, 1"),
    Criterion("automated_decision", "Automated decision with legal or similarly significant "
              "effect", "WP248 III.B.a(2)", "AEPD lista 35.4, 2"),
    Criterion("systematic_monitoring", "Systematic monitoring", "WP248 III.B.a(3)",
              "AEPD lista 35.4, 3"),
    Criterion("sensitive_data", "Sensitive data or data of a highly personal nature "
              "(Art. 9/10, financial)", "WP248 III.B.a(4)", "AEPD lista 35.4, 4-6"),
    Criterion("large_scale", "Data processed on a large scale", "WP248 III.B.a(5)",
              "AEPD lista 35.4, 7"),
    Criterion("combining_datasets", "Matching or combining datasets", "WP248 III.B.a(6)",
              "AEPD lista 35.4, 8"),
    Criterion("vulnerable_subjects", "Data concerning vulnerable data subjects "
              "(patients, minors, employees, ...)", "WP248 III.B.a(7)", "AEPD lista 35.4, 9"),
    Criterion("innovative_technology", "Innovative use or new technology (AI)",
              "WP248 III.B.a(8)", "AEPD lista 35.4, 10"),
    Criterion("prevents_rights", "Processing that prevents exercising a right or using a "
              "service or contract", "WP248 III.B.a(9)", "AEPD lista 35.4, 11"),
)}

_PROFILING = re.compile(
    r"\b(scor|puntu|profil|perfil|qualif|cualif|solvenc|creditworth|rating|ranking)",
    re.IGNORECASE)
_MONITORING = re.compile(
    r"\b(monitor|vigila|videovigil|surveil|track|rastre|geoloc|seguimiento)", re.IGNORECASE)
_VULNERABLE = re.compile(
    r"\b(patient|paciente|minor|menor|child|niñ|student|alumn|pupil|employee|empleado|staff|"
    r"worker|trabajador|plantilla|elderly|mayores|disab|discapac|victim|víctima|asylum|refug)",
    re.IGNORECASE)
_FINANCIAL_TYPES = frozenset({"IBAN", "CREDIT_CARD", "BANK_ACCOUNT"})
_MODEL_ENDPOINTS = frozenset({"chat.completions", "responses", "embeddings"})


@dataclass(frozen=True)
class DpiaThresholds:
    """When processing counts as large scale (requests or subjects per month)."""

    large_scale_per_month: int = 5000
    # Special categories reach "large scale" sooner (Art. 35(3)(b), recital 91).
    large_scale_special_per_month: int = 1000


@dataclass(frozen=True)
class Hit:
    """A criterion met, why, and whether the policy, a declaration or the audit trail says so."""

    criterion: str
    reason: str
    source: str  # "policy" | "declared" | "observed"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the guidance references."""
        c = CRITERIA[self.criterion]
        return {"criterion": self.criterion, "title": c.title, "reason": self.reason,
                "source": self.source, "wp248": c.wp248, "aepd": c.aepd}


@dataclass
class DpiaAssessment:
    """The verdict for one workflow."""

    workflow: str
    dpia: str | None
    hits: list[Hit] = field(default_factory=list)
    mandatory: list[str] = field(default_factory=list)  # Art. 35(3) cases that apply
    personal: bool = True

    @property
    def criteria(self) -> list[str]:
        """The ids of the criteria met, in order."""
        return [h.criterion for h in self.hits]

    @property
    def required(self) -> bool:
        """Two or more criteria (WP248 rule of thumb) or an Art. 35(3) case."""
        return self.personal and (len(self.hits) >= 2 or bool(self.mandatory))

    @property
    def missing(self) -> bool:
        """Required, but the workflow names no DPIA."""
        return self.required and not self.dpia

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for reports and the API."""
        return {"workflow": self.workflow, "required": self.required, "dpia": self.dpia,
                "missing": self.missing, "mandatory": list(self.mandatory),
                "criteria": [h.to_dict() for h in self.hits]}


def _text(wf: Workflow) -> str:
    return f"{wf.id} {wf.purpose} {wf.description}".replace("-", " ").replace("_", " ")


def _financial(policy: Policy, cat_id: str) -> bool:
    cat = policy.category(cat_id)
    return cat_id == "financial" or (cat is not None
                                     and bool(_FINANCIAL_TYPES.intersection(cat.entity_types)))


class _Collector:
    def __init__(self, wf: Workflow) -> None:
        self.declared = set(wf.dpia_criteria)
        self.hits: dict[str, Hit] = {}

    def add(self, criterion: str, reason: str, source: str = "policy") -> None:
        self.hits.setdefault(criterion, Hit(criterion, reason, source))

    def declared_first(self) -> None:
        for criterion in sorted(self.declared):
            self.add(criterion, "declared in the policy (dpia_criteria)", "declared")


def _volume(wf: Workflow, obs: Observations | None) -> tuple[float, str]:
    declared = float(wf.volume_per_month or 0)
    if obs is None:
        return declared, "policy"
    seen = obs.of(wf.id)
    observed = max(obs.monthly_requests(wf.id), float(len(seen.subjects)))
    return (observed, "observed") if observed > declared else (declared, "policy")


def assess_workflow(
    policy: Policy,
    wf: Workflow,
    observations: Observations | None = None,
    thresholds: DpiaThresholds | None = None,
) -> DpiaAssessment:
    """Which DPIA criteria ``wf`` meets, and whether a DPIA is required."""
    limits = thresholds or DpiaThresholds()
    seen = observations.of(wf.id) if observations is not None else None
    observed_cats = set(seen.categories) if seen is not None else set()
    cats = set(wf.categories) | observed_cats
    resolved = [c for c in (policy.category(ref) for ref in sorted(cats)) if c is not None]
    result = DpiaAssessment(wf.id, wf.dpia)
    result.personal = any(is_personal(c) for c in resolved)
    if not result.personal:
        return result  # Art. 35 is about risks to people: no personal data, no DPIA
    col = _Collector(wf)
    col.declared_first()
    text = _text(wf)
    if _PROFILING.search(text):
        col.add("profiling", "the purpose describes scoring, qualifying or profiling people")
    if wf.automated_decision:
        col.add("automated_decision", "automated_decision: true (Art. 22)")
    if _MONITORING.search(text):
        col.add("systematic_monitoring", "the purpose describes monitoring or tracking people")
    special = sorted(c.id for c in resolved if c.special)
    financial = sorted(c.id for c in resolved if _financial(policy, c.id))
    if special or financial:
        source = "observed" if set(special + financial) <= (observed_cats - set(wf.categories)) \
            else "policy"
        listed = ", ".join(special + financial)
        col.add("sensitive_data", f"handles {listed} data", source)
    volume, vsource = _volume(wf, observations)
    limit = limits.large_scale_special_per_month if special else limits.large_scale_per_month
    if volume >= limit:
        col.add("large_scale", f"about {round(volume)} requests or subjects a month "
                f"(threshold {limit})", vsource)
    for access in wf.collections:
        writers = [o.id for o in policy.workflows if o.id != wf.id and access.read and any(
            a.collection == access.collection and a.write for a in o.collections)]
        if writers:
            col.add("combining_datasets", f"reads collection '{access.collection}', written by "
                    f"{', '.join(writers)} for another purpose")
            break
    vulnerable = [s for s in wf.data_subjects if _VULNERABLE.search(s)]
    if vulnerable:
        col.add("vulnerable_subjects", f"data subjects include {', '.join(vulnerable)}")
    models = [p for p in (policy.provider(r) for r in wf.providers)
              if p is not None and p.adapter is not AdapterKind.DEMO]
    if models and _MODEL_ENDPOINTS.intersection(wf.endpoints):
        # The AEPD counts AI systems as an innovative use of technology.
        col.add("innovative_technology", "sends personal data to AI models "
                f"({', '.join(p.id for p in models)})")
    result.hits = [col.hits[c] for c in CRITERIA if c in col.hits]
    met = set(result.criteria)
    if {"automated_decision", "profiling"} <= met:
        result.mandatory.append("Art. 35(3)(a): systematic evaluation with significant effects")
    if special and "large_scale" in met:
        result.mandatory.append("Art. 35(3)(b): special categories on a large scale")
    if {"systematic_monitoring", "large_scale"} <= met:
        result.mandatory.append("Art. 35(3)(c): systematic monitoring on a large scale")
    return result


def assess_policy(
    policy: Policy,
    observations: Observations | None = None,
    thresholds: DpiaThresholds | None = None,
) -> list[DpiaAssessment]:
    """One assessment per workflow, in policy order."""
    return [assess_workflow(policy, wf, observations, thresholds) for wf in policy.workflows]
