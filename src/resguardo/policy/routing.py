"""Run-time routing: which providers a request may reach, and why not when none may.

The gateway calls :func:`allowed_providers` with the categories it detected and takes the
first provider (the workflow's preference order); when the list is empty it raises
``denial_reason(...).to_error()``. The data-flow rules are the linter's own
(:func:`resguardo.policy.rules.flow_exclusion`), applied again here so that a request can
never take a route the policy check would have refused (defence in depth: a policy built in
code, or edited after the check, is still held to them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from resguardo.errors import PolicyDenied
from resguardo.policy.rules import Exclusion, flow_exclusion, is_personal
from resguardo.policy.schema import (
    AdapterKind,
    Category,
    Environment,
    Policy,
    Provider,
    Workflow,
)

__all__ = ["Denial", "Route", "allowed_providers", "denial_reason", "evaluate_route"]


@dataclass(frozen=True)
class Denial:
    """Why a request cannot go anywhere: a stable code and a message safe to return."""

    code: str
    message: str
    workflow: str
    category: str | None = None
    provider: str | None = None

    def to_error(self) -> PolicyDenied:
        """The PolicyDenied error the gateway raises (403); details hold only names."""
        details: dict[str, Any] = {"reason": self.code, "workflow": self.workflow}
        if self.category is not None:
            details["category"] = self.category
        if self.provider is not None:
            details["provider"] = self.provider
        return PolicyDenied(self.message, details=details)


@dataclass(frozen=True)
class Route:
    """The full decision: allowed providers in preference order, and why the others are not."""

    allowed: tuple[Provider, ...] = ()
    excluded: tuple[tuple[str, Exclusion], ...] = ()  # (provider id, why)
    denial: Denial | None = None
    categories: tuple[str, ...] = field(default=())


def _order(category: Category) -> tuple[int, str]:
    # Check the strictest category first, so a denial names the category that matters most.
    return (0 if category.special else 1 if is_personal(category) else 2, category.id)


def _environment(value: str | Environment) -> Environment | None:
    try:
        return Environment(value)
    except ValueError:
        return None


def _provider_env_exclusion(provider: Provider, env: Environment) -> Exclusion | None:
    if env not in provider.environments:
        return Exclusion("provider_environment",
                         f"provider '{provider.id}' does not serve the '{env}' environment")
    if provider.live_only and env is Environment.TEST:
        # Test keys must never spend live credentials or reach live-only contracts.
        return Exclusion("provider_live_only",
                         f"provider '{provider.id}' is live-only and the key is a test key")
    return None


def _deny(wf_id: str, code: str, message: str, category: str | None = None) -> Route:
    return Route(denial=Denial(code, message, wf_id, category))


def evaluate_route(
    policy: Policy,
    workflow: Workflow | str,
    categories: Iterable[str],
    environment: str | Environment,
) -> Route:
    """Decide where a request of ``workflow`` carrying ``categories`` may go in ``environment``."""
    wf = policy.workflow(workflow) if isinstance(workflow, str) else workflow
    wf_id = workflow if isinstance(workflow, str) else workflow.id
    if wf is None:
        return _deny(wf_id, "workflow_unknown", f"Workflow '{wf_id}' is not in the policy.")
    env = _environment(environment)
    if env is None:
        return _deny(wf_id, "environment_unknown", f"Workflow '{wf_id}': unknown environment.")
    if env not in policy.environments or env not in wf.environments:
        return _deny(wf_id, "workflow_environment",
                     f"Workflow '{wf_id}' is not enabled in the '{env}' environment.")
    resolved: list[Category] = []
    for cat_id in sorted(set(categories)):
        category = policy.category(cat_id)
        if category is None:
            # Fail closed: an unknown category could be anything, so it goes nowhere.
            return _deny(wf_id, "category_unknown",
                         f"Workflow '{wf_id}': data category '{cat_id}' is not in the policy.",
                         cat_id)
        if cat_id not in wf.categories:
            return _deny(wf_id, "category_not_allowed",
                         f"Workflow '{wf_id}' may not process '{cat_id}' data.", cat_id)
        resolved.append(category)
    resolved.sort(key=_order)
    if not wf.providers:
        return _deny(wf_id, "no_providers", f"Workflow '{wf_id}' has no providers.")

    allowed: list[Provider] = []
    excluded: list[tuple[str, Exclusion]] = []
    first_category: dict[str, str | None] = {}
    for ref in wf.providers:
        provider = policy.provider(ref)
        if provider is None:
            excluded.append((ref, Exclusion("provider_unknown",
                                            f"provider '{ref}' is not in the policy")))
            continue
        why = _provider_env_exclusion(provider, env)
        for category in resolved:
            if why is not None:
                break
            why = flow_exclusion(category, provider)
            first_category[ref] = category.id
        if why is None:
            allowed.append(provider)
        else:
            excluded.append((ref, why))
    cats = tuple(c.id for c in resolved)
    if allowed:
        if env is Environment.TEST:
            # Test traffic goes to the offline sandbox first when the workflow lists one, so
            # a test run never spends a real provider's quota or sees its answers by default.
            allowed.sort(key=lambda p: p.adapter is not AdapterKind.DEMO)
        return Route(tuple(allowed), tuple(excluded), None, cats)
    # Report the most preferred provider's reason: the one the workflow meant to use.
    ref, why = excluded[0]
    blamed = first_category.get(ref) if why.code not in (
        "provider_environment", "provider_live_only", "provider_unknown") else None
    denial = Denial(why.code, f"Workflow '{wf_id}': no provider may receive this request; "
                    f"{why.message}.", wf_id, blamed, ref)
    return Route((), tuple(excluded), denial, cats)


def allowed_providers(
    policy: Policy,
    workflow: Workflow | str,
    categories: Iterable[str],
    environment: str | Environment,
) -> list[Provider]:
    """Providers that may receive this request, in the workflow's preference order."""
    return list(evaluate_route(policy, workflow, categories, environment).allowed)


def denial_reason(
    policy: Policy,
    workflow: Workflow | str,
    categories: Iterable[str],
    environment: str | Environment,
) -> Denial | None:
    """Why no provider may receive this request, or None when at least one may."""
    return evaluate_route(policy, workflow, categories, environment).denial
