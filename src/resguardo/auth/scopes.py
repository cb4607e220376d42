"""Scopes: store them, check them against the policy, and answer "may this principal do X?".

A key's scopes only ever narrow its workflow's allowance: the effective set is always the
intersection, so a key created before a policy change can never exceed the new policy.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from resguardo.auth.principal import Principal, Scopes
from resguardo.errors import Forbidden, InputError
from resguardo.policy.schema import Policy, Workflow

__all__ = [
    "allowed_categories",
    "allowed_collections",
    "allowed_endpoints",
    "allowed_providers",
    "ip_allowed",
    "require_collection",
    "require_endpoint",
    "require_model",
    "require_provider",
    "require_request_size",
    "require_workflow",
    "scopes_from_json",
    "scopes_from_mapping",
    "scopes_to_json",
    "validate_scopes",
]

_TUPLE_FIELDS = {
    "endpoints", "categories", "providers", "models",
    "collections_read", "collections_write", "networks",
}
_INT_FIELDS = {"max_request_bytes", "requests_per_minute", "tokens_per_minute"}


def scopes_to_json(scopes: Scopes) -> str:
    """Stable JSON for storage (None fields omitted)."""
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(scopes).items()}
    return json.dumps({k: v for k, v in data.items() if v is not None}, sort_keys=True)


def scopes_from_mapping(data: dict[str, Any]) -> Scopes:
    """Scopes from a plain mapping (API or CLI input); unknown fields are refused."""
    known = {f.name for f in fields(Scopes)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError("Unknown scope fields.", code="invalid_scopes",
                         details={"fields": unknown})
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue
        if name in _TUPLE_FIELDS:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise InputError("Scope lists hold strings.", code="invalid_scopes",
                                 details={"field": name})
            kwargs[name] = tuple(value)
        elif name in _INT_FIELDS:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError("Scope limits are positive integers.", code="invalid_scopes",
                                 details={"field": name})
            kwargs[name] = value
    return Scopes(**kwargs)


def scopes_from_json(raw: str) -> Scopes:
    """Inverse of ``scopes_to_json``."""
    return scopes_from_mapping(json.loads(raw or "{}"))


def _outside(requested: tuple[str, ...] | None, allowed: Iterable[str]) -> list[str]:
    return sorted(set(requested or ()) - set(allowed))


def validate_scopes(policy: Policy, workflow: Workflow, scopes: Scopes) -> None:
    """Refuse scopes that name anything the workflow itself may not use."""
    collections = workflow.collections
    models = {m for p in policy.providers if p.id in workflow.providers for m in p.models}
    checks = {
        "endpoints": _outside(scopes.endpoints, workflow.endpoints),
        "categories": _outside(scopes.categories, workflow.categories),
        "providers": _outside(scopes.providers, workflow.providers),
        "models": _outside(scopes.models, models) if models else [],
        "collections_read": _outside(scopes.collections_read,
                                     [c.collection for c in collections if c.read]),
        "collections_write": _outside(scopes.collections_write,
                                      [c.collection for c in collections if c.write]),
    }
    wider = sorted(name for name, extra in checks.items() if extra)
    if wider:
        # Names of scope fields only: the values are configuration, but keep errors small.
        raise InputError("Scopes exceed the workflow's allowance.", code="scope_exceeds_workflow",
                         details={"fields": wider})
    for cidr in scopes.networks or ():
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise InputError("A network is not valid CIDR.", code="invalid_scopes",
                             details={"field": "networks"}) from None


def _narrow(workflow_side: Iterable[str], key_side: tuple[str, ...] | None) -> frozenset[str]:
    base = frozenset(workflow_side)
    return base if key_side is None else base & frozenset(key_side)


def require_workflow(policy: Policy, principal: Principal) -> Workflow:
    """The principal's workflow; Forbidden when the policy no longer declares it."""
    workflow = policy.workflow(principal.workflow_id)
    if workflow is None:
        raise Forbidden("The key's workflow is not in the policy.", code="workflow_unknown")
    return workflow


def allowed_endpoints(policy: Policy, principal: Principal) -> frozenset[str]:
    """Endpoints both the workflow and the key allow."""
    return _narrow(require_workflow(policy, principal).endpoints, principal.scopes.endpoints)


def allowed_categories(policy: Policy, principal: Principal) -> frozenset[str]:
    """Data categories both the workflow and the key allow."""
    return _narrow(require_workflow(policy, principal).categories, principal.scopes.categories)


def allowed_providers(policy: Policy, principal: Principal) -> frozenset[str]:
    """Providers both the workflow and the key allow."""
    return _narrow(require_workflow(policy, principal).providers, principal.scopes.providers)


def allowed_collections(policy: Policy, principal: Principal, *, write: bool) -> frozenset[str]:
    """Vault collections the principal may read (or write)."""
    workflow = require_workflow(policy, principal)
    declared = [c.collection for c in workflow.collections if (c.write if write else c.read)]
    return _narrow(declared, principal.scopes.collections_write if write
                   else principal.scopes.collections_read)


def require_endpoint(policy: Policy, principal: Principal, endpoint: str) -> None:
    """Forbidden unless the endpoint is in scope."""
    if endpoint not in allowed_endpoints(policy, principal):
        raise Forbidden("The key may not call this endpoint.", code="scope_missing",
                        details={"endpoint": endpoint})


def require_provider(policy: Policy, principal: Principal, provider_id: str) -> None:
    """Forbidden unless the provider is in scope."""
    if provider_id not in allowed_providers(policy, principal):
        raise Forbidden("The key may not use this provider.", code="scope_missing",
                        details={"provider": provider_id})


def require_model(principal: Principal, model: str) -> None:
    """Forbidden when the key lists models and this is not one of them."""
    models = principal.scopes.models
    if models is not None and model not in models:
        raise Forbidden("The key may not use this model.", code="scope_missing",
                        details={"model": model})


def require_collection(policy: Policy, principal: Principal, collection: str, *,
                       write: bool) -> None:
    """Forbidden unless the vault collection is readable (or writable) by the principal."""
    if collection not in allowed_collections(policy, principal, write=write):
        raise Forbidden("The key may not access this collection.", code="scope_missing",
                        details={"collection": collection, "access": "write" if write else "read"})


def require_request_size(principal: Principal, size: int) -> None:
    """Forbidden when the body exceeds the key's own size limit."""
    limit = principal.scopes.max_request_bytes
    if limit is not None and size > limit:
        raise Forbidden("The request is larger than this key allows.", code="request_too_large",
                        details={"limit": limit})


def ip_allowed(scopes: Scopes, source_ip: str | None) -> bool:
    """Whether the source address is inside one of the key's networks (fail closed if unknown)."""
    if scopes.networks is None:
        return True
    if not source_ip:
        return False
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in scopes.networks)
