"""Run-time routing: the linter's data-flow rules, applied to each request."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_cases import base, load

from resguardo.errors import PolicyDenied
from resguardo.policy import allowed_providers, denial_reason, lint_policy, load_policy
from resguardo.policy.loader import LoadedPolicy
from resguardo.policy.schema import (
    DEFAULT_CATEGORIES,
    AdapterKind,
    Controller,
    CredentialRef,
    Environment,
    Policy,
    Provider,
    Tier,
    TransferMechanism,
    Workflow,
)

EXAMPLE = load_policy(Path(__file__).resolve().parents[2] / "examples" / "resguardo.yaml").policy


def _ids(providers: list[Provider]) -> list[str]:
    return [p.id for p in providers]


def test_personal_data_goes_to_providers_in_preference_order() -> None:
    """With only personal data, every provider of the workflow is allowed, in its order."""
    assert _ids(allowed_providers(EXAMPLE, "voice-agent", {"personal"}, "live")) == [
        "mistral-eu", "ollama-local"]


def test_special_category_goes_only_to_local_providers() -> None:
    """A request with health data can reach only the local model."""
    assert _ids(allowed_providers(EXAMPLE, "voice-agent", {"personal", "special"}, "live")) == [
        "ollama-local"]


def test_live_only_provider_is_not_used_with_test_keys() -> None:
    """openai-us is live-only: a test request skips it."""
    assert _ids(allowed_providers(EXAMPLE, "lead-qualifier", {"personal"}, "test")) == [
        "mistral-eu"]
    assert _ids(allowed_providers(EXAMPLE, "lead-qualifier", {"personal"}, "live")) == [
        "mistral-eu", "openai-us"]


def test_provider_category_cap_is_enforced() -> None:
    """openai-us does not accept financial data, so only the EU provider remains."""
    assert _ids(allowed_providers(EXAMPLE, "lead-qualifier", {"financial"}, "live")) == [
        "mistral-eu"]


def test_request_without_categories_may_use_every_provider() -> None:
    """Nothing detected: the workflow's providers all qualify."""
    assert _ids(allowed_providers(EXAMPLE, "email-triage", set(), "live")) == [
        "azure-openai-eu", "openai-us"]


def test_allowed_request_has_no_denial() -> None:
    """denial_reason is None when a provider may take the request."""
    assert denial_reason(EXAMPLE, "voice-agent", {"special"}, "live") is None


@pytest.mark.parametrize(("workflow", "categories", "env", "code", "category"), [
    ("email-triage", {"special"}, "live", "category_not_allowed", "special"),
    ("ghost", {"personal"}, "live", "workflow_unknown", None),
    ("voice-agent", {"personal"}, "staging", "environment_unknown", None),
    ("voice-agent", {"made-up"}, "live", "category_unknown", "made-up"),
])
def test_request_level_denials_carry_a_code_and_the_category(
    workflow: str, categories: set[str], env: str, code: str, category: str | None
) -> None:
    """Unknown workflow, environment or category, or one outside the workflow, is denied."""
    denial = denial_reason(EXAMPLE, workflow, categories, env)
    assert denial is not None
    assert (denial.code, denial.category, denial.workflow) == (code, category, workflow)
    assert f"'{workflow}'" in denial.message
    assert allowed_providers(EXAMPLE, workflow, categories, env) == []


def _policy(provider: Provider, categories: tuple[str, ...] = ("personal", "special"),
            workflow_envs: tuple[Environment, ...] = (Environment.LIVE, Environment.TEST)
            ) -> Policy:
    wf = Workflow(id="wf", purpose="p", legal_basis="contract", categories=categories,
                  providers=(provider.id,), retention_days=1, environments=workflow_envs)
    return Policy(controller=Controller(name="A", contact="a@a.example"),
                  providers=(provider,), workflows=(wf,))


def _provider(**changes: object) -> Provider:
    fields: dict[str, object] = {
        "id": "p", "adapter": AdapterKind.OPENAI, "tier": Tier.ENTERPRISE,
        "trains_on_data": False, "country": "FR", "credential": CredentialRef(env="K")}
    fields.update(changes)
    return Provider.model_validate(fields)


@pytest.mark.parametrize(("changes", "categories", "env", "code"), [
    ({}, {"special"}, "live", "special_requires_local"),
    ({"tier": Tier.CONSUMER}, {"personal"}, "live", "personal_consumer_tier"),
    ({"trains_on_data": True}, {"financial"}, "live", "personal_trains_on_data"),
    ({"country": "US"}, {"personal"}, "live", "personal_transfer"),
    ({"country": "CN", "transfer_mechanism": TransferMechanism.DPF}, {"personal"}, "live",
     "personal_transfer"),
    ({"live_only": True}, {"personal"}, "test", "provider_live_only"),
    ({"environments": (Environment.LIVE,)}, set(), "test", "provider_environment"),
    ({"categories": ("operational",)}, {"personal"}, "live", "provider_category_cap"),
])
def test_provider_level_denials_name_category_workflow_and_provider(
    changes: dict[str, object], categories: set[str], env: str, code: str
) -> None:
    """When the only provider is excluded, the denial says which rule and for which category."""
    policy = _policy(_provider(**changes), categories=("personal", "financial", "special"))
    denial = denial_reason(policy, "wf", categories, env)
    assert denial is not None and denial.code == code
    assert denial.provider == "p" and denial.workflow == "wf"
    if not code.startswith("provider_") or code == "provider_category_cap":
        assert denial.category in categories
        assert f"'{denial.category}'" in denial.message
    assert "'wf'" in denial.message


def test_workflow_not_enabled_in_environment_is_denied() -> None:
    """A live-only workflow refuses a test key."""
    policy = _policy(_provider(), workflow_envs=(Environment.LIVE,))
    denial = denial_reason(policy, "wf", {"personal"}, "test")
    assert denial is not None and denial.code == "workflow_environment"


def test_denial_becomes_a_policy_denied_error_with_safe_details() -> None:
    """to_error gives the 403 error with names only in its details."""
    denial = denial_reason(EXAMPLE, "email-triage", {"special"}, "live")
    assert denial is not None
    err = denial.to_error()
    assert isinstance(err, PolicyDenied)
    assert err.details == {"reason": "category_not_allowed", "workflow": "email-triage",
                           "category": "special"}


def test_workflow_object_is_accepted_as_well_as_its_id() -> None:
    """Callers holding the Workflow need not look it up again."""
    wf = EXAMPLE.workflow("voice-agent")
    assert wf is not None
    assert allowed_providers(EXAMPLE, wf, {"special"}, Environment.LIVE)[0].id == "ollama-local"


_FLOW_RULES = {"special-non-local", "personal-consumer-tier", "personal-training",
               "personal-transfer"}


@settings(max_examples=150, deadline=None)
@given(
    tier=st.sampled_from(list(Tier)),
    trains=st.booleans(),
    country=st.sampled_from(["ES", "FR", "US", "JP", "CN", "GB"]),
    mechanism=st.sampled_from(list(TransferMechanism)),
    category=st.sampled_from([c.id for c in DEFAULT_CATEGORIES]),
    cap=st.none() | st.sets(st.sampled_from([c.id for c in DEFAULT_CATEGORIES])),
)
def test_router_allows_exactly_the_flows_the_linter_accepts(
    tier: Tier, trains: bool, country: str, mechanism: TransferMechanism, category: str,
    cap: set[str] | None,
) -> None:
    """For one provider and one category: routed iff declared and no flow rule objects."""
    provider = _provider(tier=tier, trains_on_data=trains, country=country,
                         transfer_mechanism=mechanism,
                         categories=None if cap is None else tuple(sorted(cap)))
    policy = _policy(provider, categories=(category,))
    flagged = {v.rule for v in lint_policy(LoadedPolicy.from_policy(policy))} & _FLOW_RULES
    declared = cap is None or category in cap
    routed = bool(allowed_providers(policy, "wf", {category}, "live"))
    assert routed == (declared and not flagged)


def test_lint_clean_base_routes_every_declared_category() -> None:
    """A policy that passes the check can route what it declares."""
    loaded = load(base())
    assert lint_policy(loaded) == []
    assert _ids(allowed_providers(loaded.policy, "wf", {"personal"}, "live")) == ["eu", "local"]


def test_test_traffic_goes_to_the_sandbox_first() -> None:
    """A workflow that lists the offline sandbox sends test keys there first; live keeps order."""
    sandbox = Provider(id="sandbox", adapter=AdapterKind.DEMO, tier=Tier.LOCAL,
                       trains_on_data=False, country="ES")
    eu = Provider(id="mistral-eu", adapter=AdapterKind.OPENAI, tier=Tier.ENTERPRISE,
                  trains_on_data=False, country="FR", base_url="https://api.mistral.ai/v1",
                  credential=CredentialRef(env="MISTRAL_API_KEY"))
    policy = Policy(
        controller=Controller(name="Acme", contact="dpo@acme.test"),
        providers=(eu, sandbox),
        workflows=(Workflow(id="triage", purpose="Route mail", legal_basis="contract",
                            categories=("personal",), providers=("mistral-eu", "sandbox"),
                            retention_days=30),),
    )
    assert _ids(allowed_providers(policy, "triage", {"personal"}, "live")) == [
        "mistral-eu", "sandbox"]
    assert _ids(allowed_providers(policy, "triage", {"personal"}, "test")) == [
        "sandbox", "mistral-eu"]
