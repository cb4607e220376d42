"""Admin roles and what each may do: the one map later features extend.

Add a permission constant and list it under the roles that hold it; route handlers ask
``require(PERMISSION)`` (http/admin_routes.py) rather than naming roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = ["ROLE_PERMISSIONS", "Permission", "Role", "has_permission"]


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AUDITOR = "auditor"  # read-only: audit trail and reports
    DPO = "dpo"  # data protection officer: rights requests, incidents, review queue


class Permission(StrEnum):
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"
    ADMINS_READ = "admins:read"
    ADMINS_WRITE = "admins:write"
    OWNERS_WRITE = "owners:write"  # create, disable or reset an owner
    AUDIT_READ = "audit:read"
    REPORTS_READ = "reports:read"
    POLICY_READ = "policy:read"
    RIGHTS_MANAGE = "rights:manage"
    INCIDENTS_MANAGE = "incidents:manage"
    REVIEW_MANAGE = "review:manage"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType({
    Role.OWNER: _ALL,
    # Everything but governing owners: an admin can't promote itself or lock owners out.
    Role.ADMIN: _ALL - {Permission.OWNERS_WRITE},
    Role.AUDITOR: frozenset({Permission.AUDIT_READ, Permission.REPORTS_READ}),
    # Investigating incidents and answering rights requests needs the audit trail too.
    Role.DPO: frozenset({
        Permission.RIGHTS_MANAGE, Permission.INCIDENTS_MANAGE, Permission.REVIEW_MANAGE,
        Permission.AUDIT_READ, Permission.REPORTS_READ, Permission.POLICY_READ,
    }),
})


def has_permission(role: str, permission: Permission | str) -> bool:
    """Whether a role (by name) holds a permission; unknown roles hold nothing."""
    try:
        return Permission(permission) in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
