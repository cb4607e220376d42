"""Who may touch which vault collection: the policy's workflow grants narrowed by key scopes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from resguardo.auth.principal import Principal
from resguardo.errors import Forbidden, InputError, NotFound
from resguardo.policy.schema import Policy, VaultCollection

__all__ = ["Grant", "Mode", "authorize", "operator_grant"]

Mode = Literal["read", "write"]
# What a field name looks like (no spaces, no "@", no leading digit): anything else is data.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Grant:
    """Permission to use one collection in one environment, with the fields that may pass."""

    actor: str
    environment: str
    collection: VaultCollection
    mode: Mode
    workflow_id: str | None = None
    fields: frozenset[str] | None = None  # None: every field
    source_ip: str | None = None

    def check_fields(self, names: set[str]) -> None:
        """Refuse a write with a field outside the allowlist (echoing only field-like names)."""
        if self.fields is None:
            return
        extra = sorted(names - self.fields)
        if extra:
            # A caller's "field name" may be a value (a map keyed by email or by name): only
            # names shaped like a field are echoed; the others are counted, never shown.
            shown = [n for n in extra if _FIELD_NAME.fullmatch(n)]
            details: dict[str, object] = {"fields": shown[:20]}
            if len(shown) < len(extra):
                details["withheld"] = len(extra) - len(shown)
            raise InputError(
                "Fields not allowed in this collection.", code="field_not_allowed",
                details=details,
            )

    def filter_fields(self, values: dict[str, object]) -> dict[str, object]:
        """Drop what the reader may not see (the policy may have narrowed since the write)."""
        if self.fields is None:
            return values
        return {k: v for k, v in values.items() if k in self.fields}


def _allowlist(
    collection_fields: tuple[str, ...], workflow_fields: tuple[str, ...] | None = None
) -> frozenset[str] | None:
    # An empty collection list means "no structured allowlist"; a workflow list only narrows.
    allowed = frozenset(collection_fields) if collection_fields else None
    if workflow_fields is not None:
        narrowed = frozenset(workflow_fields)
        allowed = narrowed if allowed is None else allowed & narrowed
    return allowed


def authorize(policy: Policy, principal: Principal, collection_id: str, mode: Mode) -> Grant:
    """The grant for a key, or Forbidden; each check below is one least-privilege rule."""
    collection = policy.collection(collection_id)
    if collection is None:
        raise NotFound("Unknown collection.")  # the id is caller text: never echoed
    workflow = policy.workflow(principal.workflow_id)
    # A key whose workflow left the policy keeps nothing: fail closed.
    if workflow is None:
        raise Forbidden("The key's workflow is not in the policy.")
    if principal.environment not in {str(e) for e in workflow.environments}:
        raise Forbidden("The workflow does not run in this environment.")
    if "vault" not in workflow.endpoints:
        raise Forbidden("The workflow may not use the vault.")
    if principal.scopes.endpoints is not None and "vault" not in principal.scopes.endpoints:
        raise Forbidden("The key may not use the vault.")
    access = next((a for a in workflow.collections if a.collection == collection.id), None)
    allowed = access is not None and (access.read if mode == "read" else access.write)
    if not allowed or access is None:
        raise Forbidden(
            "The workflow may not use this collection.",
            details={"collection": collection.id, "mode": mode},
        )
    narrowed = (
        principal.scopes.collections_read if mode == "read" else principal.scopes.collections_write
    )
    if narrowed is not None and collection.id not in narrowed:
        raise Forbidden(
            "The key may not use this collection.",
            details={"collection": collection.id, "mode": mode},
        )
    return Grant(
        actor=principal.key_id,
        environment=principal.environment,
        collection=collection,
        mode=mode,
        workflow_id=workflow.id,
        fields=_allowlist(collection.fields, access.fields),
        source_ip=principal.source_ip,
    )


def operator_grant(
    policy: Policy, collection_id: str, *, environment: str, actor: str, mode: Mode = "write"
) -> Grant:
    """An operator's grant (CLI, console): no workflow rules, but the field allowlist stays."""
    collection = policy.collection(collection_id)
    if collection is None:
        raise NotFound("Unknown collection.")  # the id is caller text: never echoed
    return Grant(
        actor=actor,
        environment=environment,
        collection=collection,
        mode=mode,
        fields=_allowlist(collection.fields),
    )
