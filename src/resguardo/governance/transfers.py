"""International transfers (Art. 44-49): every provider outside the EEA, its mechanism, and
the personal categories it may receive (policy) and did receive (audit trail)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from resguardo.governance.observed import Observations
from resguardo.policy.routing import evaluate_route
from resguardo.policy.rules import is_personal
from resguardo.policy.schema import Environment, Policy, Provider, TransferMechanism

__all__ = ["MECHANISM_LABELS", "Transfer", "allowed_flows", "international_transfers"]

MECHANISM_LABELS: dict[TransferMechanism, str] = {
    TransferMechanism.NONE: "none",
    TransferMechanism.ADEQUACY: "adequacy decision (Art. 45)",
    TransferMechanism.SCC: "standard contractual clauses (Art. 46(2)(c))",
    TransferMechanism.DPF: "EU-US Data Privacy Framework (Art. 45)",
}


@dataclass
class Transfer:
    """One provider outside the EEA and the personal data that may and did reach it."""

    provider: str
    country: str
    region: str | None
    mechanism: TransferMechanism
    tier: str
    trains_on_data: bool
    workflows: list[str] = field(default_factory=list)
    allowed_categories: list[str] = field(default_factory=list)
    received: Counter[str] = field(default_factory=Counter)  # category -> requests

    @property
    def received_personal(self) -> list[str]:
        """Categories observed at this provider."""
        return sorted(self.received)

    @property
    def unprotected(self) -> bool:
        """Personal data may or did go here with no transfer mechanism."""
        return self.mechanism is TransferMechanism.NONE and bool(
            self.allowed_categories or self.received)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"provider": self.provider, "country": self.country, "region": self.region,
                "mechanism": self.mechanism.value,
                "mechanism_label": MECHANISM_LABELS[self.mechanism], "tier": self.tier,
                "trains_on_data": self.trains_on_data, "workflows": list(self.workflows),
                "allowed_categories": list(self.allowed_categories),
                "received_categories": dict(sorted(self.received.items())),
                "unprotected": self.unprotected}


def allowed_flows(policy: Policy) -> dict[tuple[str, str], list[str]]:
    """(workflow, category) -> providers the router would allow it to reach in live or test."""
    flows: dict[tuple[str, str], list[str]] = {}
    for wf in policy.workflows:
        for cat in wf.categories:
            reachable: list[str] = []
            for env in wf.environments:
                route = evaluate_route(policy, wf, (cat,), Environment(env))
                reachable.extend(p.id for p in route.allowed if p.id not in reachable)
            flows[(wf.id, cat)] = reachable
    return flows


def _personal(policy: Policy, category_id: str) -> bool:
    cat = policy.category(category_id)
    return cat is None or is_personal(cat)  # unknown: assume the worst


def international_transfers(
    policy: Policy, observations: Observations | None = None
) -> list[Transfer]:
    """Providers outside the EEA, with allowed and observed personal categories."""
    out: dict[str, Transfer] = {}

    def entry(p: Provider) -> Transfer:
        return out.setdefault(p.id, Transfer(
            p.id, p.country.upper(), p.region, p.transfer_mechanism, p.tier.value,
            p.trains_on_data))

    for p in policy.providers:
        if not p.in_eea:
            entry(p)
    for (wf_id, cat), providers in allowed_flows(policy).items():
        for pid in providers:
            t = out.get(pid)
            if t is None or not _personal(policy, cat):
                continue
            if cat not in t.allowed_categories:
                t.allowed_categories.append(cat)
            if wf_id not in t.workflows:
                t.workflows.append(wf_id)
    if observations is not None:
        for wf_id, obs in observations.workflows.items():
            for pid, cats in obs.providers.items():
                t = out.get(pid)
                if t is None:
                    continue
                personal = Counter({c: n for c, n in cats.items() if _personal(policy, c)})
                t.received.update(personal)
                if personal and wf_id not in t.workflows:
                    t.workflows.append(wf_id)
    for t in out.values():
        t.allowed_categories.sort()
        t.workflows.sort()
    return sorted(out.values(), key=lambda t: t.provider)
