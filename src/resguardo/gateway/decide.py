"""Decide: which providers (and upstream model names) may take this request, in order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from resguardo.auth.principal import Principal
from resguardo.errors import Forbidden, PolicyDenied
from resguardo.policy.routing import evaluate_route
from resguardo.policy.schema import Environment, Policy, Provider, Workflow

__all__ = ["Target", "check_endpoint", "listable_models", "plan", "workflow_of"]


@dataclass(frozen=True, slots=True)
class Target:
    """One place the request may go: a provider and the model name to send it."""

    provider: Provider
    model: str


def workflow_of(policy: Policy, principal: Principal) -> Workflow:
    """The caller's workflow; a key whose workflow left the policy can do nothing."""
    workflow = policy.workflow(principal.workflow_id)
    if workflow is None:
        raise Forbidden("The key's workflow is not in the policy.", code="workflow_unknown")
    return workflow


def check_endpoint(workflow: Workflow, principal: Principal, endpoint: str) -> None:
    """Refuse an endpoint the workflow or the key does not declare (least privilege)."""
    allowed = endpoint in workflow.endpoints and (
        principal.scopes.endpoints is None or endpoint in principal.scopes.endpoints
    )
    if not allowed:
        raise Forbidden("This key may not use this endpoint.", code="endpoint_not_allowed",
                        details={"endpoint": endpoint, "workflow": workflow.id})


def _denied(code: str, message: str, workflow: str, **extra: object) -> PolicyDenied:
    return PolicyDenied(message, details={"reason": code, "workflow": workflow, **extra})


def plan(
    policy: Policy,
    principal: Principal,
    workflow: Workflow,
    categories: Iterable[str],
    requested_model: str | None,
) -> list[Target]:
    """Allowed targets, the one serving the requested model first; PolicyDenied when none."""
    cats = sorted(set(categories))
    key_cats = principal.scopes.categories
    if key_cats is not None:
        for cat in cats:
            if cat not in key_cats:
                raise _denied("category_not_in_key_scope",
                              f"This key may not send '{cat}' data.", workflow.id, category=cat)
    route = evaluate_route(policy, workflow, cats, principal.environment)
    if route.denial is not None:
        raise route.denial.to_error()
    providers = [p for p in route.allowed
                 if principal.scopes.providers is None or p.id in principal.scopes.providers]
    if not providers:
        raise _denied("provider_not_in_key_scope",
                      "No provider this key may use can receive this request.", workflow.id)
    model = requested_model or ""
    if principal.scopes.models is not None and model and model not in principal.scopes.models:
        raise _denied("model_not_allowed", "This key may not use the requested model.",
                      workflow.id)
    serving = [p for p in providers if model in p.models or model == p.id]
    ordered = serving + [p for p in providers if p not in serving]
    targets: list[Target] = []
    for p in ordered:
        if model in p.models:
            targets.append(Target(p, model))
        elif p.models:
            # The policy steered the request elsewhere: use that provider's default model.
            targets.append(Target(p, p.models[0]))
        else:
            # A pass-through provider (no model list): the caller's model name goes as is.
            targets.append(Target(p, model))
    return targets


def listable_models(policy: Policy, principal: Principal, workflow: Workflow) -> list[str]:
    """Model ids this key may request (what ``GET /v1/models`` shows)."""
    try:
        env = Environment(principal.environment)
    except ValueError:
        return []
    names: list[str] = []
    for ref in workflow.providers:
        p = policy.provider(ref)
        if p is None or env not in p.environments or (p.live_only and env is Environment.TEST):
            continue
        if principal.scopes.providers is not None and p.id not in principal.scopes.providers:
            continue
        for name in p.models or (p.id,):
            allowed = principal.scopes.models is None or name in principal.scopes.models
            if allowed and name not in names:
                names.append(name)
    return names
