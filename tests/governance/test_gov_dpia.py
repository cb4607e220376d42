"""DPIA triggers: WP248/AEPD criteria per workflow, the two-criteria rule, the lint rule."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from gov_helpers import gov_policy

from resguardo.governance.dpia import DpiaThresholds, assess_policy, assess_workflow
from resguardo.governance.observed import MemoryAuditReader, observe
from resguardo.policy.lint import lint_policy
from resguardo.policy.loader import parse_policy
from resguardo.policy.schema import Policy
from resguardo.testing import MemoryAuditSink


def _verdict(policy: Policy, wf: str) -> Any:
    workflow = policy.workflow(wf)
    assert workflow is not None
    return assess_workflow(policy, workflow)


CASES: list[tuple[str, dict[str, Any], set[str], bool]] = [
    # (what, support-bot overrides, criteria expected, DPIA required)
    ("plain chatbot: AI only", {}, {"innovative_technology"}, False),
    ("patients", {"data_subjects": ["patients"]},
     {"innovative_technology", "vulnerable_subjects"}, True),
    ("minors in Spanish", {"data_subjects": ["menores"]},
     {"innovative_technology", "vulnerable_subjects"}, True),
    ("financial data", {"categories": ["personal", "financial"]},
     {"innovative_technology", "sensitive_data"}, True),
    ("scoring purpose", {"purpose": "Score customers for upselling"},
     {"innovative_technology", "profiling"}, True),
    ("monitoring purpose", {"purpose": "Track drivers' geolocation"},
     {"innovative_technology", "systematic_monitoring"}, True),
    ("large scale", {"volume_per_month": 20000}, {"innovative_technology", "large_scale"}, True),
    ("declared combining", {"dpia_criteria": ["combining_datasets"]},
     {"innovative_technology", "combining_datasets"}, True),
    ("no AI: local-only protect", {"providers": [], "endpoints": ["protect", "restore"]},
     set(), False),
    ("no personal data", {"categories": ["operational"], "data_subjects": ["employees"]},
     set(), False),
]


@pytest.mark.parametrize(("what", "overrides", "criteria", "required"), CASES,
                         ids=[c[0] for c in CASES])
def test_criteria_table(what: str, overrides: dict[str, Any], criteria: set[str],
                        required: bool) -> None:
    """Each policy trait maps to its WP248/AEPD criterion; two or more require a DPIA."""
    verdict = _verdict(gov_policy(**{"support-bot": overrides}), "support-bot")
    assert set(verdict.criteria) == criteria
    assert verdict.required is required
    assert verdict.missing is required  # the support bot names no DPIA


def test_special_categories_on_large_scale_are_mandatory() -> None:
    """Art. 35(3)(b): special data reaches 'large scale' at the lower threshold."""
    policy = gov_policy(**{"hr-assistant": {"categories": ["personal", "special"],
                                            "volume_per_month": 1500, "providers": ["local"]}})
    verdict = _verdict(policy, "hr-assistant")
    assert "large_scale" in verdict.criteria and verdict.mandatory
    relaxed = assess_workflow(policy, policy.workflows[2],
                              thresholds=DpiaThresholds(large_scale_special_per_month=2000))
    assert "large_scale" not in relaxed.criteria


def test_automated_scoring_is_art_35_3_a() -> None:
    """The lead scorer profiles and decides automatically: mandatory, and its DPIA is named."""
    verdict = _verdict(gov_policy(), "lead-scorer")
    assert {"profiling", "automated_decision", "sensitive_data"} <= set(verdict.criteria)
    assert verdict.required and not verdict.missing and verdict.mandatory


def test_combining_datasets_when_reading_another_workflows_collection() -> None:
    """Reading a collection another workflow writes for another purpose is combining."""
    policy = gov_policy(**{"hr-assistant": {"collections": [{"collection": "leads"}]}})
    assert "combining_datasets" in _verdict(policy, "hr-assistant").criteria


async def test_observed_volume_and_categories_count(history: MemoryAuditSink) -> None:
    """Observed financial data counts as sensitive even though the policy omits it."""
    obs = await observe(MemoryAuditReader(history.events))
    policy = gov_policy()
    [sup] = [a for a in assess_policy(policy, obs) if a.workflow == "support-bot"]
    hit = next(h for h in sup.hits if h.criterion == "sensitive_data")
    assert hit.source == "observed" and sup.required


def _lint(policy_data: dict[str, Any]) -> list[str]:
    return [v.rule for v in lint_policy(parse_policy(yaml.safe_dump(policy_data),
                                                         filename="p.yaml"))]


def test_policy_check_fails_where_a_dpia_is_required_and_missing() -> None:
    """The HR assistant (employees + AI) gets dpia-required until it names its DPIA."""
    data = gov_policy().model_dump(mode="json", exclude_defaults=True)
    assert "dpia-required" in _lint(data)
    hr = next(w for w in data["workflows"] if w["id"] == "hr-assistant")
    hr["dpia"] = "DPIA-HR-1"
    assert "dpia-required" not in _lint(data)
