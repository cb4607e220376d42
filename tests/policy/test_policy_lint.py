"""The linter: one broken policy per rule, and the shipped policies pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_cases import base, load

from resguardo.policy import default_policy_text, lint_policy, load_policy, parse_policy
from resguardo.policy.lint import RULES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resguardo.yaml"

Mutation = Callable[[dict[str, Any]], None]


def _wf(d: dict[str, Any]) -> dict[str, Any]:
    return d["workflows"][0]


def _eu(d: dict[str, Any]) -> dict[str, Any]:
    return d["providers"][0]


def _special_to_eu(d: dict[str, Any]) -> None:
    _wf(d).update(categories=["personal", "special"], providers=["eu"],
                  art9_condition="explicit_consent", dpia="DPIA-1")


def _add_consumer(d: dict[str, Any], **extra: Any) -> None:
    d["providers"].append({"id": "free", "adapter": "openai-compatible",
                           "base_url": "https://free.example/v1",
                           "credential": {"env": "FREE_KEY"}, "tier": "consumer",
                           "trains_on_data": False, "country": "FR", **extra})
    _wf(d)["providers"].append("free")


def _special_local(d: dict[str, Any], **extra: Any) -> None:
    _wf(d).update(categories=["personal", "special"], providers=["local"], **extra)


def _missing_retention(d: dict[str, Any]) -> None:
    del _wf(d)["retention_days"]
    _wf(d)["categories"] = ["personal", "financial"]  # no rule for financial


def _confidential_to_consumer(d: dict[str, Any]) -> None:
    _add_consumer(d, categories=["confidential"])
    _wf(d)["categories"] = ["personal", "confidential"]


def _collection_other_category(d: dict[str, Any]) -> None:
    d["collections"][0]["category"] = "financial"
    _wf(d)["collections"] = [{"collection": "notes"}]


CASES: list[tuple[str, Mutation]] = [
    ("special-non-local", _special_to_eu),
    ("personal-consumer-tier", _add_consumer),
    ("personal-training", lambda d: _eu(d).update(trains_on_data=True)),
    ("personal-transfer", lambda d: _eu(d).update(country="US")),
    ("personal-transfer", lambda d: _eu(d).update(country="IN", transfer_mechanism="adequacy")),
    ("special-art9-condition", lambda d: _special_local(d, dpia="DPIA-1")),
    ("special-dpia", lambda d: _special_local(d, art9_condition="explicit_consent")),
    ("art22-human-review", lambda d: _wf(d).update(automated_decision=True, dpia="DPIA-2")),
    ("art22-dpia", lambda d: _wf(d).update(automated_decision=True, human_review=True)),
    ("dpia-required", lambda d: _wf(d).update(data_subjects=["employees"])),  # + AI model
    ("missing-legal-basis", lambda d: _wf(d).pop("legal_basis")),
    ("missing-retention", _missing_retention),
    ("dangling-reference", lambda d: _wf(d)["providers"].append("ghost")),
    ("dangling-reference", lambda d: _wf(d)["categories"].append("ghost")),
    ("dangling-reference", lambda d: _wf(d).update(collections=[{"collection": "ghost"}])),
    ("dangling-reference", lambda d: d["collections"][0].update(category="ghost")),
    ("dangling-reference", lambda d: d["retention"][0].update(category="ghost")),
    ("dangling-reference", lambda d: d["recognizers"][0].update(category="ghost")),
    ("dangling-reference", lambda d: _eu(d).update(categories=["personal", "ghost"])),
    ("insecure-transport", lambda d: _eu(d).update(base_url="http://eu.example/v1")),
    ("confidential-consumer-tier", _confidential_to_consumer),
    ("credential-missing", lambda d: _eu(d).pop("credential")),
    ("transfer-mechanism-invalid", lambda d: _eu(d).update(country="CN",
                                                           transfer_mechanism="dpf")),
    ("category-unreachable", lambda d: (_eu(d).update(categories=["operational"]),
                                        _wf(d).update(providers=["eu"]))),
    ("workflow-no-provider", lambda d: _wf(d).update(providers=[])),
    ("no-provider-for-environment", lambda d: (_eu(d).update(live_only=True),
                                               _wf(d).update(providers=["eu"]))),
    ("environment-undeclared", lambda d: d.update(environments=["live"])),
    ("collection-category-undeclared", _collection_other_category),
    ("retention-conflict", lambda d: d["collections"][0].update(retention_days=400)),
    ("retention-conflict", lambda d: _wf(d).update(
        collections=[{"collection": "notes", "retention_days": 60}])),
    ("reply-scan-off", lambda d: _wf(d).update(reply_scan="off")),
]


def test_base_policy_is_clean() -> None:
    """The starting point of every case passes all rules."""
    assert lint_policy(load(base())) == []


@pytest.mark.parametrize(("rule", "mutate"), CASES, ids=[f"{r}-{i}" for i, (r, _) in
                                                         enumerate(CASES)])
def test_rule_reports_the_policy_that_breaks_it(rule: str, mutate: Mutation) -> None:
    """Each rule fires, with its declared severity, on a minimal policy that breaks it."""
    data = base()
    mutate(data)
    violations = lint_policy(load(data))
    hits = [v for v in violations if v.rule == rule]
    assert hits, [str(v) for v in violations]
    assert all(v.severity == RULES[rule].severity for v in hits)
    assert all(v.line is not None and v.file == "resguardo.yaml" for v in hits)


def test_every_rule_has_a_breaking_case() -> None:
    """No rule goes untested."""
    assert {rule for rule, _ in CASES} == set(RULES)


def test_capped_provider_is_not_reported_for_the_category_it_refuses() -> None:
    """A consumer provider fenced to operational data is not a violation in a personal workflow."""
    data = base()
    _add_consumer(data, categories=["operational"], trains_on_data=True)
    assert lint_policy(load(data)) == []


def test_special_to_local_only_is_clean() -> None:
    """Special data to a local provider with Art. 9 condition and DPIA passes."""
    data = base()
    _special_local(data, art9_condition="health_or_social_care", dpia="DPIA-3")
    assert lint_policy(load(data)) == []


def test_transfer_under_dpf_to_the_us_is_clean() -> None:
    """A US provider under the Data Privacy Framework may receive personal data."""
    data = base()
    _eu(data).update(country="US", transfer_mechanism="dpf")
    assert lint_policy(load(data)) == []


def test_violation_points_at_the_line_of_the_offending_provider() -> None:
    """The line is that of the provider entry inside the workflow, not the workflow's."""
    text = (
        "controller: {name: A, contact: a@a.example}\n"      # 1
        "providers:\n"                                       # 2
        "  - id: free\n"                                     # 3
        "    adapter: demo\n"                                # 4
        "    tier: consumer\n"                               # 5
        "    trains_on_data: false\n"                        # 6
        "    country: ES\n"                                  # 7
        "workflows:\n"                                       # 8
        "  - id: wf\n"                                       # 9
        "    purpose: p\n"                                   # 10
        "    legal_basis: contract\n"                        # 11
        "    retention_days: 5\n"                            # 12
        "    categories: [personal]\n"                       # 13
        "    providers:\n"                                   # 14
        "      - free\n"                                     # 15
    )
    violations = lint_policy(parse_policy(text, filename="acme.yaml"))
    [hit] = [v for v in violations if v.rule == "personal-consumer-tier"]
    assert (hit.file, hit.line, hit.path) == ("acme.yaml", 15, "workflows[0].providers[0]")
    assert str(hit).startswith("acme.yaml:15: error [personal-consumer-tier]")


def test_example_policy_passes() -> None:
    """The shipped example for four automations has no violations at all."""
    assert lint_policy(load_policy(EXAMPLE)) == []


def test_default_policy_passes() -> None:
    """The policy `resguardo init` writes has no violations."""
    assert lint_policy(parse_policy(default_policy_text(), filename="default.yaml")) == []


def test_violation_serializes_to_json_ready_dict() -> None:
    """to_dict carries rule, severity, file, line, path, message and article."""
    data = base()
    _wf(data).pop("legal_basis")
    [v] = lint_policy(load(data))
    assert set(v.to_dict()) == {"rule", "severity", "file", "line", "path", "message", "article"}
    assert v.to_dict()["article"] == "Art. 6(1)"
