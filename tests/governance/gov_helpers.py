"""Shared governance test data: a known policy and a seeded audit history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from resguardo.audit.events import AuditEvent
from resguardo.policy.schema import Policy

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
SUBJECT_A = "a" * 32
SUBJECT_B = "b" * 32


def gov_policy(**workflow_overrides: Any) -> Policy:
    """Three workflows: a scorer with review, a US-bound support bot, an HR assistant."""
    return Policy.model_validate({
        "controller": {"name": "Acme <Servicios> S.L.", "contact": "privacidad@acme.example",
                       "dpo": "dpo@acme.example"},
        "providers": [
            {"id": "mistral-eu", "adapter": "openai-compatible",
             "base_url": "https://api.mistral.example/v1", "credential": {"env": "MISTRAL_KEY"},
             "tier": "enterprise", "trains_on_data": False, "country": "FR"},
            {"id": "openai-us", "adapter": "openai-compatible",
             "base_url": "https://api.openai.example/v1", "credential": {"env": "OPENAI_KEY"},
             "tier": "enterprise", "trains_on_data": False, "country": "US",
             "transfer_mechanism": "dpf"},
            {"id": "local", "adapter": "ollama", "tier": "local", "trains_on_data": False,
             "country": "ES"},
        ],
        "collections": [{"id": "leads", "category": "personal", "retention_days": 365}],
        "retention": [{"category": "personal", "days": 730}],
        "workflows": [
            {"id": "lead-scorer", "purpose": "Score leads and decide financing offers",
             "legal_basis": "consent", "automated_decision": True, "human_review": True,
             "dpia": "DPIA-1", "data_subjects": ["prospects"],
             "categories": ["personal", "financial"], "providers": ["mistral-eu", "openai-us"],
             "endpoints": ["chat.completions", "vault"],
             "collections": [{"collection": "leads", "read": True, "write": True}],
             **workflow_overrides.get("lead-scorer", {})},
            {"id": "support-bot", "purpose": "Answer customer questions <by chat>",
             "legal_basis": "contract", "data_subjects": ["customers"],
             "categories": ["personal", "communications"], "providers": ["openai-us"],
             "retention_days": 30, **workflow_overrides.get("support-bot", {})},
            {"id": "hr-assistant", "purpose": "Draft answers to staff HR questions",
             "legal_basis": "legitimate_interests", "data_subjects": ["employees"],
             "categories": ["personal"], "providers": ["mistral-eu"], "retention_days": 90,
             **workflow_overrides.get("hr-assistant", {})},
        ],
    })


def _request(at: datetime, wf: str, key: str, rid: str, cats: list[str], counts: dict[str, int],
             outcome: str = "masked") -> AuditEvent:
    return AuditEvent(kind="gateway.request", outcome=outcome, actor=key, workflow=wf,
                      environment="live", at=at,
                      data={"request_id": rid, "categories": cats, "entity_counts": counts,
                            "action": outcome})


def _response(at: datetime, wf: str, key: str, rid: str, provider: str) -> AuditEvent:
    return AuditEvent(kind="gateway.response", outcome="success", actor=key, workflow=wf,
                      environment="live", at=at,
                      data={"request_id": rid, "provider": provider, "status": 200})


def seeded_events() -> list[AuditEvent]:
    """Support bot sent financial data (undeclared) to the US; one request was blocked."""
    m = timedelta(minutes=1)
    return [
        _request(T0, "support-bot", "key_sup", "req1", ["personal"], {"PERSON": 1, "EMAIL": 1}),
        _response(T0 + m, "support-bot", "key_sup", "req1", "openai-us"),
        _request(T0 + 2 * m, "support-bot", "key_sup", "req2", ["financial", "personal"],
                 {"PERSON": 2, "IBAN": 1}),
        _response(T0 + 3 * m, "support-bot", "key_sup", "req2", "openai-us"),
        _request(T0 + 4 * m, "support-bot", "key_sup", "req3", ["special"], {"HEALTH": 1},
                 outcome="blocked"),
        _request(T0 + 5 * m, "lead-scorer", "key_lead", "req4", ["financial", "personal"],
                 {"PERSON": 1, "IBAN": 1}),
        _response(T0 + 6 * m, "lead-scorer", "key_lead", "req4", "mistral-eu"),
        AuditEvent(kind="vault.write", outcome="success", actor="key_lead",
                   workflow="lead-scorer", environment="live", at=T0 + 7 * m,
                   subject_hashes=(SUBJECT_A,), data={"collection": "leads"}),
        AuditEvent(kind="vault.read", outcome="success", actor="key_lead",
                   workflow="lead-scorer", environment="live", at=T0 + 8 * m,
                   subject_hashes=(SUBJECT_B,), data={"collection": "leads"}),
    ]
