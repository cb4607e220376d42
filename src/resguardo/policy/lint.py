"""The policy linter: what a DPO would check before letting an automation run.

Each rule has a stable id, a severity and the GDPR article behind it (see docs/policy.md).
The data-flow rules come from :mod:`resguardo.policy.rules`, the same code the router runs
on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from resguardo.governance.dpia import assess_workflow
from resguardo.policy.loader import FieldPath, LoadedPolicy, format_path
from resguardo.policy.rules import (
    accepts,
    is_business,
    is_personal,
    rule_exclusions,
    transfer_problem,
)
from resguardo.policy.schema import (
    AdapterKind,
    Environment,
    Policy,
    Provider,
    Tier,
    TransferMechanism,
    Workflow,
)

__all__ = ["RULES", "Rule", "Severity", "Violation", "lint_policy"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """A lint rule's identity: what it checks and the article that makes it matter."""

    id: str
    severity: Severity
    article: str
    summary: str


_RULE_LIST = (
    Rule("special-non-local", "error", "Art. 9, Art. 32",
         "special-category data allowed to a provider that is not local"),
    Rule("personal-consumer-tier", "error", "Art. 28",
         "personal data allowed to a consumer-tier provider"),
    Rule("personal-training", "error", "Art. 5(1)(b), Art. 28(3)(a)",
         "personal data allowed to a provider that trains on submitted data"),
    Rule("personal-transfer", "error", "Art. 44-46",
         "personal data allowed outside the EEA without adequacy, SCCs or the DPF"),
    Rule("special-art9-condition", "error", "Art. 9(2)",
         "special categories without an Art. 9(2) condition"),
    Rule("special-dpia", "error", "Art. 35(3)(b)",
         "special categories without a DPIA reference"),
    Rule("art22-human-review", "error", "Art. 22(3)",
         "significant automated decision without human review"),
    Rule("missing-legal-basis", "error", "Art. 6(1)", "workflow without a legal basis"),
    Rule("missing-retention", "error", "Art. 5(1)(e)", "workflow without a retention period"),
    Rule("dangling-reference", "error", "Art. 30",
         "reference to a category, provider or collection that is not declared"),
    Rule("insecure-transport", "error", "Art. 32",
         "remote provider reached over plain HTTP"),
    Rule("confidential-consumer-tier", "warning", "Art. 32",
         "confidential business data or internal communications to a consumer-tier provider"),
    Rule("credential-missing", "warning", "Art. 32",
         "remote provider without a credential reference"),
    Rule("transfer-mechanism-invalid", "warning", "Art. 45-46",
         "declared transfer mechanism does not fit the provider's country"),
    Rule("art22-dpia", "warning", "Art. 35(3)(a)",
         "automated decision without a DPIA reference"),
    Rule("dpia-required", "error", "Art. 35(1), WP248, AEPD list",
         "two or more DPIA criteria (WP248/AEPD) met without a DPIA reference"),
    Rule("category-unreachable", "warning", "Art. 25",
         "workflow category that none of its providers accepts"),
    Rule("workflow-no-provider", "warning", "Art. 25",
         "workflow uses model endpoints but lists no provider"),
    Rule("no-provider-for-environment", "warning", "Art. 25",
         "workflow runs in an environment none of its providers serves"),
    Rule("environment-undeclared", "warning", "Art. 25",
         "workflow or provider names an environment the policy does not enable"),
    Rule("collection-category-undeclared", "warning", "Art. 30(1)(c)",
         "workflow reads or writes a collection whose category it does not declare"),
    Rule("retention-conflict", "warning", "Art. 5(1)(e)",
         "a collection keeps data longer than its category's retention rule"),
    Rule("reply-scan-off", "warning", "Art. 25",
         "workflow handling personal data with reply scanning switched off"),
)
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULE_LIST}

_MODEL_ENDPOINTS = frozenset({"chat.completions", "responses", "embeddings"})


@dataclass(frozen=True)
class Violation:
    """One finding: which rule, how bad, where in the file, and what to do about it."""

    rule: str
    severity: Severity
    file: str
    line: int | None
    path: str
    message: str
    article: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity} [{self.rule}] {self.path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class _Linter:
    def __init__(self, loaded: LoadedPolicy) -> None:
        self.loaded = loaded
        self.policy: Policy = loaded.policy
        self.found: list[Violation] = []

    def add(self, rule_id: str, path: FieldPath, message: str) -> None:
        rule = RULES[rule_id]
        self.found.append(Violation(
            rule=rule.id, severity=rule.severity, file=self.loaded.filename,
            line=self.loaded.line_of(*path), path=format_path(path), message=message,
            article=rule.article,
        ))

    def workflows(self) -> Iterator[tuple[int, Workflow]]:
        return iter(enumerate(self.policy.workflows))


def _references(lint: _Linter) -> None:
    p = lint.policy
    known_categories = {c.id for c in p.categories}

    def category(ref: str, path: FieldPath, owner: str) -> None:
        if ref not in known_categories:
            lint.add("dangling-reference", path,
                     f"{owner} names category '{ref}', which is not declared in categories")

    for i, wf in lint.workflows():
        for j, cat in enumerate(wf.categories):
            category(cat, ("workflows", i, "categories", j), f"workflow '{wf.id}'")
        for j, ref in enumerate(wf.providers):
            if p.provider(ref) is None:
                lint.add("dangling-reference", ("workflows", i, "providers", j),
                         f"workflow '{wf.id}' names provider '{ref}', which is not declared")
        for j, access in enumerate(wf.collections):
            if p.collection(access.collection) is None:
                lint.add("dangling-reference", ("workflows", i, "collections", j, "collection"),
                         f"workflow '{wf.id}' names collection '{access.collection}', "
                         "which is not declared")
    for i, col in enumerate(p.collections):
        category(col.category, ("collections", i, "category"), f"collection '{col.id}'")
    for i, rule in enumerate(p.retention):
        category(rule.category, ("retention", i, "category"), "retention rule")
    for i, rec in enumerate(p.recognizers):
        if rec.category is not None:
            category(rec.category, ("recognizers", i, "category"), f"recognizer '{rec.id}'")
    for i, provider in enumerate(p.providers):
        for j, cat in enumerate(provider.categories or ()):
            category(cat, ("providers", i, "categories", j), f"provider '{provider.id}'")


def _flows(lint: _Linter) -> None:
    p = lint.policy
    for i, wf in lint.workflows():
        providers = [(k, p.provider(ref)) for k, ref in enumerate(wf.providers)]
        # (provider index, rule) -> categories, so one line says everything about one route.
        broken: dict[tuple[int, str], list[str]] = {}
        reasons: dict[tuple[int, str], str] = {}
        for j, cat_id in enumerate(wf.categories):
            category = p.category(cat_id)
            if category is None:
                continue  # reported as a dangling reference
            reachable = False
            for k, provider in providers:
                if provider is None or not accepts(provider, cat_id):
                    continue  # undeclared provider, or fenced off this category on purpose
                reachable = True  # declared, even if wrongly: the errors below say so
                exclusions = rule_exclusions(category, provider)
                for exclusion in exclusions:
                    broken.setdefault((k, exclusion.rule), []).append(cat_id)
                    reasons[(k, exclusion.rule)] = exclusion.reason
                if not exclusions and provider.tier is Tier.CONSUMER and is_business(category):
                    lint.add("confidential-consumer-tier", ("workflows", i, "providers", k),
                             f"workflow '{wf.id}' lets '{cat_id}' business data reach "
                             f"consumer-tier provider '{provider.id}'")
            if providers and not reachable:
                lint.add("category-unreachable", ("workflows", i, "categories", j),
                         f"workflow '{wf.id}' allows '{cat_id}' but none of its providers "
                         "accepts it: every request carrying it will be refused")
        for (k, rule), cats in broken.items():
            kind = "special-category data" if rule == "special-non-local" else "personal data"
            listed = ", ".join(f"'{c}'" for c in cats)
            lint.add(rule, ("workflows", i, "providers", k),
                     f"workflow '{wf.id}' lets {kind} ({listed}) reach '{wf.providers[k]}', "
                     f"but {reasons[(k, rule)]}; drop the provider from this workflow or "
                     "fence it off with its `categories:`")


def _workflow_duties(lint: _Linter) -> None:
    p = lint.policy
    for i, wf in lint.workflows():
        here: FieldPath = ("workflows", i)
        cats = [c for c in (p.category(ref) for ref in wf.categories) if c is not None]
        if wf.legal_basis is None:
            lint.add("missing-legal-basis", here,
                     f"workflow '{wf.id}' states no legal_basis (Art. 6(1): consent, contract, "
                     "legal_obligation, vital_interests, public_task, legitimate_interests)")
        if not _has_retention(p, wf):
            lint.add("missing-retention", here,
                     f"workflow '{wf.id}' has no retention: set retention_days, keep its data "
                     "in vault collections, or add a retention rule for each of its categories")
        if any(c.special for c in cats):
            if wf.art9_condition is None:
                lint.add("special-art9-condition", here,
                         f"workflow '{wf.id}' handles special-category data but states no "
                         "art9_condition")
            if not wf.dpia:
                lint.add("special-dpia", here,
                         f"workflow '{wf.id}' handles special-category data but gives no dpia "
                         "reference")
        if wf.automated_decision:
            if not wf.human_review:
                lint.add("art22-human-review", here,
                         f"workflow '{wf.id}' makes significant automated decisions "
                         "(automated_decision: true) without human_review: true")
            if not wf.dpia:
                lint.add("art22-dpia", here,
                         f"workflow '{wf.id}' makes automated decisions but gives no dpia "
                         "reference")
        if wf.reply_scan == "off" and any(is_personal(c) for c in cats):
            lint.add("reply-scan-off", (*here, "reply_scan"),
                     f"workflow '{wf.id}' handles personal data with reply_scan: off; replies "
                     "may leak personal data the caller never sent")
        if not wf.providers and _MODEL_ENDPOINTS.intersection(wf.endpoints):
            lint.add("workflow-no-provider", here,
                     f"workflow '{wf.id}' allows model endpoints but lists no providers")
        _collections_of(lint, i, wf)
        _environments_of(lint, i, wf)


def _has_retention(p: Policy, wf: Workflow) -> bool:
    if wf.retention_days is not None or wf.collections:
        return True  # every vault collection carries its own retention_days
    return all(p.retention_for(cat) is not None for cat in wf.categories)


def _collections_of(lint: _Linter, i: int, wf: Workflow) -> None:
    for j, access in enumerate(wf.collections):
        col = lint.policy.collection(access.collection)
        if col is None:
            continue
        path: FieldPath = ("workflows", i, "collections", j)
        if col.category not in wf.categories:
            lint.add("collection-category-undeclared", path,
                     f"workflow '{wf.id}' uses collection '{col.id}' of category "
                     f"'{col.category}' but does not list that category")
        if access.retention_days is not None and access.retention_days > col.retention_days:
            lint.add("retention-conflict", (*path, "retention_days"),
                     f"workflow '{wf.id}' keeps '{col.id}' for {access.retention_days} days, "
                     f"longer than the collection's {col.retention_days}")


def _serves(provider: Provider, env: Environment) -> bool:
    return env in provider.environments and not (provider.live_only and env is Environment.TEST)


def _environments_of(lint: _Linter, i: int, wf: Workflow) -> None:
    p = lint.policy
    providers = [prov for prov in (p.provider(ref) for ref in wf.providers) if prov is not None]
    for j, env in enumerate(wf.environments):
        if env not in p.environments:
            lint.add("environment-undeclared", ("workflows", i, "environments", j),
                     f"workflow '{wf.id}' runs in '{env}', which the policy does not enable")
        elif providers and not any(_serves(prov, env) for prov in providers):
            lint.add("no-provider-for-environment", ("workflows", i, "providers"),
                     f"workflow '{wf.id}' runs in '{env}' but none of its providers serves it")


def _provider_duties(lint: _Linter) -> None:
    for i, prov in enumerate(lint.policy.providers):
        here: FieldPath = ("providers", i)
        remote = prov.tier is not Tier.LOCAL
        if remote and prov.adapter not in (AdapterKind.DEMO, AdapterKind.OLLAMA) \
                and prov.credential is None:
            lint.add("credential-missing", here,
                     f"provider '{prov.id}' has no credential reference "
                     "(credential: {env: VAR_NAME} or {file: PATH})")
        if remote and prov.base_url and prov.base_url.lower().startswith("http://"):
            lint.add("insecure-transport", (*here, "base_url"),
                     f"provider '{prov.id}' is remote but base_url is plain http://; use https://")
        if prov.transfer_mechanism is not TransferMechanism.NONE and not prov.in_eea:
            problem = transfer_problem(prov)
            if problem is not None:
                lint.add("transfer-mechanism-invalid", (*here, "transfer_mechanism"),
                         f"provider '{prov.id}': {problem}")
        for j, env in enumerate(prov.environments):
            if env not in lint.policy.environments:
                lint.add("environment-undeclared", (*here, "environments", j),
                         f"provider '{prov.id}' serves '{env}', which the policy does not enable")


def _retention_rules(lint: _Linter) -> None:
    p = lint.policy
    for i, col in enumerate(p.collections):
        limit = p.retention_for(col.category)
        if limit is not None and col.retention_days > limit.days:
            lint.add("retention-conflict", ("collections", i, "retention_days"),
                     f"collection '{col.id}' keeps data {col.retention_days} days but the "
                     f"retention rule for '{col.category}' says {limit.days}")


def _dpia_required(lint: _Linter) -> None:
    for i, wf in lint.workflows():
        special = any(c is not None and c.special
                      for c in (lint.policy.category(ref) for ref in wf.categories))
        if wf.dpia or special or wf.automated_decision:
            continue  # special-dpia and art22-dpia already ask for one: say it once
        verdict = assess_workflow(lint.policy, wf)
        if verdict.required:
            lint.add("dpia-required", ("workflows", i),
                     f"workflow '{wf.id}' meets {len(verdict.hits)} DPIA criteria "
                     f"({', '.join(verdict.criteria)}); run the DPIA and set dpia: "
                     "to its reference (see `resguardo report dpia`)")


_CHECKS: tuple[Callable[[_Linter], None], ...] = (
    _references, _flows, _workflow_duties, _provider_duties, _retention_rules, _dpia_required,
)


def lint_policy(loaded: LoadedPolicy) -> list[Violation]:
    """Every rule violation in the policy, errors first, then by line."""
    lint = _Linter(loaded)
    for check in _CHECKS:
        check(lint)
    return sorted(lint.found, key=lambda v: (v.severity != "error", v.line or 0, v.rule))
