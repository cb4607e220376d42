"""The policy file's schema: what each automation may touch, where data may go, for how long.

Every model is frozen; the loaded policy is immutable for the life of the process.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DEFAULT_CATEGORIES",
    "AdapterKind",
    "AnomalyPolicy",
    "Art9Condition",
    "Category",
    "Controller",
    "CredentialRef",
    "CustomRecognizer",
    "DpiaCriterion",
    "Environment",
    "LegalBasis",
    "OfficeHours",
    "Policy",
    "Provider",
    "RetentionRule",
    "Risk",
    "Tier",
    "TransferMechanism",
    "VaultCollection",
    "Workflow",
]

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    MEDIUM_HIGH = "medium-high"
    HIGH = "high"
    CRITICAL = "critical"


class Tier(StrEnum):
    ENTERPRISE = "enterprise"
    CONSUMER = "consumer"
    LOCAL = "local"


class AdapterKind(StrEnum):
    OPENAI = "openai-compatible"
    ANTHROPIC = "anthropic"
    OLLAMA = "ollama"
    DEMO = "demo"


class TransferMechanism(StrEnum):
    NONE = "none"  # no transfer outside the EEA (or none needed)
    ADEQUACY = "adequacy"
    SCC = "scc"
    DPF = "dpf"


class LegalBasis(StrEnum):
    """GDPR Art. 6(1) bases."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class Art9Condition(StrEnum):
    """GDPR Art. 9(2) conditions for special categories."""

    EXPLICIT_CONSENT = "explicit_consent"
    EMPLOYMENT = "employment_social_security"
    VITAL_INTERESTS = "vital_interests"
    NOT_FOR_PROFIT = "not_for_profit_body"
    MADE_PUBLIC = "made_public"
    LEGAL_CLAIMS = "legal_claims"
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest"
    HEALTH_CARE = "health_or_social_care"
    PUBLIC_HEALTH = "public_health"
    ARCHIVING_RESEARCH = "archiving_research_statistics"


class Environment(StrEnum):
    LIVE = "live"
    TEST = "test"


# EEA member states plus the ISO code "EU" for region-wide deployments.
EEA = frozenset(
    [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO", "EU",
    ]
)


class Controller(_Frozen):
    name: str
    contact: str
    dpo: str | None = None
    country: str = "ES"
    supervisory_authority: str = "AEPD"


class Category(_Frozen):
    """A data category with its risk and the detector entity types that fall in it."""

    id: Identifier
    description: str = ""
    risk: Risk
    special: bool = False  # GDPR Art. 9 special category
    entity_types: tuple[str, ...] = ()


_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


class CredentialRef(_Frozen):
    """Where a provider credential lives: never inline in the policy."""

    env: str | None = None
    file: str | None = None

    @field_validator("env")
    @classmethod
    def _env_is_a_name(cls, value: str | None) -> str | None:
        # A pasted key here would sit in the file in clear: accept only a variable name.
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "must be the NAME of an environment variable (e.g. OPENAI_API_KEY), "
                "not the key itself"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> CredentialRef:
        if bool(self.env) == bool(self.file):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self


class Provider(_Frozen):
    id: Identifier
    adapter: AdapterKind
    base_url: str | None = None
    credential: CredentialRef | None = None
    tier: Tier
    trains_on_data: bool
    country: str = Field(min_length=2, max_length=3)
    region: str | None = None
    transfer_mechanism: TransferMechanism = TransferMechanism.NONE
    models: tuple[str, ...] = ()
    timeout_seconds: float = 60.0
    max_retries: int = 2
    live_only: bool = False
    environments: tuple[Environment, ...] = (Environment.LIVE, Environment.TEST)
    # Categories this provider may ever receive, whatever a workflow allows (None: no cap).
    categories: tuple[str, ...] | None = None
    description: str = ""

    @property
    def in_eea(self) -> bool:
        """Whether the provider processes data inside the EEA."""
        return self.country.upper() in EEA


class VaultCollection(_Frozen):
    id: Identifier
    category: str
    description: str = ""
    retention_days: int = Field(gt=0)
    fields: tuple[str, ...] = ()


class WorkflowCollectionAccess(_Frozen):
    collection: str
    read: bool = True
    write: bool = False
    retention_days: int | None = Field(default=None, gt=0)
    # Narrows the collection's field allowlist for this workflow (None: the collection's).
    fields: tuple[str, ...] | None = None


# WP248 / AEPD DPIA criteria a DPO may declare when Resguardo cannot infer them
# (resguardo.governance.dpia evaluates the rest from the policy and the audit trail).
DpiaCriterion = Literal[
    "profiling", "automated_decision", "systematic_monitoring", "sensitive_data",
    "large_scale", "combining_datasets", "vulnerable_subjects", "innovative_technology",
    "prevents_rights",
]

Endpoint = Literal[
    "chat.completions", "responses", "embeddings", "models", "protect", "restore", "vault"
]


class Workflow(_Frozen):
    """One automation: why it processes data, what it may send where, how long it keeps it."""

    id: Identifier
    description: str = ""
    purpose: str
    legal_basis: LegalBasis | None = None
    art9_condition: Art9Condition | None = None
    data_subjects: tuple[str, ...] = ("customers",)
    categories: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    endpoints: tuple[Endpoint, ...] = ("chat.completions", "responses", "models")
    fields: tuple[str, ...] | None = None  # None: no structured-field allowlist
    collections: tuple[WorkflowCollectionAccess, ...] = ()
    retention_days: int | None = Field(default=None, gt=0)
    automated_decision: bool = False  # Art. 22 significant decision
    human_review: bool = False
    dpia: str | None = None
    pseudonymization: Literal["tokens", "surrogates"] = "tokens"
    reply_scan: Literal["mask", "block", "off"] = "mask"
    credential: CredentialRef | None = None  # per-workflow upstream key
    environments: tuple[Environment, ...] = (Environment.LIVE, Environment.TEST)
    volume_per_month: int | None = None  # expected subjects/requests, for DPIA scale
    dpia_criteria: tuple[DpiaCriterion, ...] = ()  # declared DPIA criteria (governance.dpia)


class RetentionRule(_Frozen):
    category: str
    days: int = Field(gt=0)
    action: Literal["delete", "shred"] = "shred"


class CustomRecognizer(_Frozen):
    """A policy-defined detector: a regex or a deny list, mapped to an entity type."""

    id: Identifier
    entity_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,40}$")
    pattern: str | None = None
    deny_list: tuple[str, ...] = ()
    score: float = Field(default=0.9, ge=0, le=1)
    category: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> CustomRecognizer:
        if bool(self.pattern) == bool(self.deny_list):
            raise ValueError("give exactly one of 'pattern' or 'deny_list'")
        return self

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                # The position and reason only: the pattern itself may name confidential terms.
                raise ValueError(f"is not a valid regular expression ({exc.msg})") from None
        return value


class OfficeHours(_Frozen):
    """When use is expected; requests outside raise an off-hours alert."""

    start: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="20:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    days: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays, Monday = 1


class AnomalyPolicy(_Frozen):
    """Baselines and thresholds for anomaly alerts (per key and workflow)."""

    enabled: bool = True
    # A Slack/Teams incoming-webhook URL embeds a secret: prefer webhook_url_file.
    webhook_url: str | None = None
    webhook_url_file: str | None = None
    timezone: str = "Europe/Madrid"
    office_hours: OfficeHours | None = Field(default_factory=OfficeHours)
    window_minutes: int = Field(default=5, gt=0, le=1440)
    baseline_windows: int = Field(default=12, gt=0, le=1000)
    min_baseline_requests: int = Field(default=20, ge=0)
    rate_per_minute: int = Field(default=300, gt=0)
    rate_spike_factor: float = Field(default=5.0, gt=1)
    entities_spike_factor: float = Field(default=4.0, gt=1)
    min_entities: int = Field(default=10, ge=0)
    blocked_ratio: float = Field(default=0.5, gt=0, le=1)
    min_requests_for_ratio: int = Field(default=10, gt=0)
    new_provider: bool = True
    new_network: bool = True
    cooldown_minutes: int = Field(default=30, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value


class Policy(_Frozen):
    """The whole ``resguardo.yaml``."""

    version: Literal[1] = 1
    controller: Controller
    categories: tuple[Category, ...] = Field(default=(), validate_default=True)
    providers: tuple[Provider, ...] = ()
    workflows: tuple[Workflow, ...] = ()
    collections: tuple[VaultCollection, ...] = ()
    retention: tuple[RetentionRule, ...] = ()
    recognizers: tuple[CustomRecognizer, ...] = ()
    environments: tuple[Environment, ...] = (Environment.LIVE, Environment.TEST)
    audit_retention_days: int = Field(default=365 * 2, gt=0)
    breach_deadline_hours: int = Field(default=72, gt=0)
    session_ttl_seconds: int = Field(default=3600, gt=0)
    anomaly: AnomalyPolicy = Field(default_factory=AnomalyPolicy)

    @field_validator("categories", mode="before")
    @classmethod
    def _default_categories(cls, value: object) -> object:
        return DEFAULT_CATEGORIES if value in (None, (), []) else value

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def provider(self, provider_id: str) -> Provider | None:
        return next((p for p in self.providers if p.id == provider_id), None)

    def workflow(self, workflow_id: str) -> Workflow | None:
        return next((w for w in self.workflows if w.id == workflow_id), None)

    def collection(self, collection_id: str) -> VaultCollection | None:
        return next((c for c in self.collections if c.id == collection_id), None)

    def category_of(self, entity_type: str) -> str:
        """The data category an entity type falls in (``personal`` when unlisted)."""
        for category in self.categories:
            if entity_type in category.entity_types:
                return category.id
        for rec in self.recognizers:
            if rec.entity_type == entity_type and rec.category:
                return rec.category
        return "personal"

    def retention_for(self, category_id: str) -> timedelta | None:
        rule = next((r for r in self.retention if r.category == category_id), None)
        return timedelta(days=rule.days) if rule else None


# Defaults follow the table in DESIGN.md.
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(
        id="personal",
        description="Names, contact details, national IDs, addresses, dates of birth, IPs.",
        risk=Risk.HIGH,
        entity_types=(
            "PERSON", "EMAIL", "PHONE", "ADDRESS", "DATE_OF_BIRTH", "DATE", "AGE",
            "IP_ADDRESS", "ES_DNI", "ES_NIE", "ES_NSS", "PASSPORT", "US_SSN",
            "NATIONAL_ID", "LICENSE_PLATE", "ID", "LOCATION", "GENDER",
        ),
    ),
    Category(
        id="financial",
        description="IBANs, card and bank account numbers, amounts tied to a person.",
        risk=Risk.HIGH,
        entity_types=("IBAN", "CREDIT_CARD", "BANK_ACCOUNT", "ES_CIF"),
    ),
    Category(
        id="special",
        description="Health, biometric and other GDPR Art. 9 data.",
        risk=Risk.CRITICAL,
        special=True,
        entity_types=("HEALTH",),
    ),
    Category(
        id="confidential",
        description="Contracts, pipeline, pricing, custom terms, secrets.",
        risk=Risk.MEDIUM_HIGH,
        entity_types=("SECRET", "CONFIDENTIAL"),
    ),
    Category(
        id="communications",
        description="Internal communications: emails, calls, chats.",
        risk=Risk.MEDIUM_HIGH,
    ),
    Category(id="operational", description="Logs, internal metrics.", risk=Risk.MEDIUM),
)
