"""Policy-as-code: the schema, the loader with line numbers, the linter and run-time routing."""

from __future__ import annotations

from resguardo.policy.lint import RULES, Rule, Violation, lint_policy
from resguardo.policy.loader import (
    LoadedPolicy,
    PolicyIssue,
    check_policy_text,
    default_policy_text,
    load_policy,
    parse_policy,
)
from resguardo.policy.routing import Denial, allowed_providers, denial_reason, evaluate_route
from resguardo.policy.schema import Policy

__all__ = [
    "RULES",
    "Denial",
    "LoadedPolicy",
    "Policy",
    "PolicyIssue",
    "Rule",
    "Violation",
    "allowed_providers",
    "check_policy_text",
    "default_policy_text",
    "denial_reason",
    "evaluate_route",
    "lint_policy",
    "load_policy",
    "parse_policy",
]

