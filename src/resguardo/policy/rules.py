"""The data-flow rules shared by the linter (at check time) and the router (on every request).

One function, :func:`flow_exclusion`, says whether data of one category may reach one
provider; the linter reports the flows a policy declares that break it, the router refuses
them at run time, so a policy that passes ``policy check`` never routes differently from
what the check promised.
"""

from __future__ import annotations

from dataclasses import dataclass

from resguardo.policy.schema import Category, Provider, Risk, Tier, TransferMechanism

__all__ = [
    "ADEQUACY_COUNTRIES",
    "Exclusion",
    "accepts",
    "flow_exclusion",
    "is_business",
    "is_personal",
    "is_special",
    "rule_exclusion",
    "rule_exclusions",
    "transfer_problem",
]

# Ids that are personal data whatever risk a policy gives them (GDPR Art. 4(1)).
PERSONAL_IDS = frozenset({"personal", "financial", "special"})
# Business data a consumer-tier service should not see (DESIGN.md: contracts, pipeline, mail).
BUSINESS_IDS = frozenset({"confidential", "communications"})
BUSINESS_ENTITY_TYPES = frozenset({"SECRET", "CONFIDENTIAL"})

# Countries with a Commission adequacy decision under Art. 45 (2025). The US is covered
# only for DPF-certified organisations, so it appears under the ``dpf`` mechanism instead.
ADEQUACY_COUNTRIES = frozenset(
    ["AD", "AR", "CA", "CH", "FO", "GB", "UK", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "UY"]
)


def is_special(category: Category) -> bool:
    """Whether the category is a GDPR Art. 9 special category."""
    return category.special


def is_personal(category: Category) -> bool:
    """Whether the category is personal data: high or critical risk, or a known personal id."""
    return (
        category.special
        or category.risk in (Risk.HIGH, Risk.CRITICAL)
        or category.id in PERSONAL_IDS
    )


def is_business(category: Category) -> bool:
    """Whether the category is confidential business data or internal communications."""
    return category.id in BUSINESS_IDS or bool(
        BUSINESS_ENTITY_TYPES.intersection(category.entity_types)
    )


def transfer_problem(provider: Provider) -> str | None:
    """Why personal data may not go to this provider under Chapter V, or None if it may."""
    if provider.in_eea:
        return None
    country = provider.country.upper()
    mechanism = provider.transfer_mechanism
    if mechanism is TransferMechanism.SCC:
        return None
    if mechanism is TransferMechanism.DPF:
        if country == "US":
            return None
        return f"it claims the Data Privacy Framework, which covers US recipients, not {country}"
    if mechanism is TransferMechanism.ADEQUACY:
        if country in ADEQUACY_COUNTRIES:
            return None
        return f"it claims adequacy but {country} has no EU adequacy decision"
    return f"it is outside the EEA ({country}) and declares no transfer mechanism"


@dataclass(frozen=True)
class Exclusion:
    """Why data cannot take a route: a stable code, the lint rule it mirrors, a safe message."""

    code: str
    message: str
    rule: str = ""  # the linter rule that reports the same flow in a policy ("" for none)
    reason: str = ""  # the provider-side half of the message, for grouped lint output


def accepts(provider: Provider, category_id: str) -> bool:
    """Whether the provider's own ``categories`` allowlist admits the category."""
    return provider.categories is None or category_id in provider.categories


def flow_exclusion(category: Category, provider: Provider) -> Exclusion | None:
    """Why ``category`` data may not reach ``provider``, or None when it may."""
    why = rule_exclusion(category, provider)
    if why is None and not accepts(provider, category.id):
        # The provider's own allowlist: how a policy fences a provider off a category.
        return Exclusion(
            "provider_category_cap",
            f"provider '{provider.id}' does not accept '{category.id}' data "
            "(not in its categories list)",
        )
    return why


def rule_exclusion(category: Category, provider: Provider) -> Exclusion | None:
    """The first GDPR data-flow rule that forbids ``category`` data at ``provider``, if any."""
    found = rule_exclusions(category, provider)
    return found[0] if found else None


def rule_exclusions(category: Category, provider: Provider) -> list[Exclusion]:
    """Every GDPR data-flow rule that forbids ``category`` data at ``provider``, strictest first."""
    cat, prov = category.id, provider.id
    found: list[Exclusion] = []
    if is_special(category) and provider.tier is not Tier.LOCAL:
        # Art. 9 data leaves the premises for nobody: local models only.
        found.append(Exclusion(
            "special_requires_local",
            f"'{cat}' is a special category (Art. 9) and '{prov}' is not a local provider",
            "special-non-local",
            "it is not a local provider and Art. 9 data goes only to local models",
        ))
    if not is_personal(category):
        return found
    if provider.tier is Tier.CONSUMER:
        # Consumer terms give no Art. 28 processor contract.
        found.append(Exclusion(
            "personal_consumer_tier",
            f"'{cat}' is personal data and '{prov}' is a consumer-tier service",
            "personal-consumer-tier",
            "it is a consumer-tier service (no processor contract)",
        ))
    if provider.trains_on_data:
        # Training is a new purpose the data subjects were never told about (Art. 5(1)(b)).
        found.append(Exclusion(
            "personal_trains_on_data",
            f"'{cat}' is personal data and '{prov}' trains on submitted data",
            "personal-training",
            "it trains on submitted data",
        ))
    problem = transfer_problem(provider)
    if problem is not None:
        # Chapter V: no transfer outside the EEA without adequacy, SCCs or the DPF.
        found.append(Exclusion(
            "personal_transfer",
            f"'{cat}' is personal data and '{prov}' may not receive it: {problem}",
            "personal-transfer",
            problem,
        ))
    return found
