"""Shipped test helpers for the vault area: a sample policy and an in-memory-keyed stack."""

from __future__ import annotations

from resguardo.audit.events import AuditSink
from resguardo.clock import Clock
from resguardo.crypto.datakeys import DataKeys
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keyprovider import MemoryKeyProvider
from resguardo.policy.schema import Policy
from resguardo.rights.requests import RightsConfig
from resguardo.store.db import Database
from resguardo.vault.ports import AuditQuery, no_audit_history
from resguardo.vault.wiring import VaultStack, build_vault_stack

__all__ = ["memory_vault_stack", "sample_vault_policy"]


def sample_vault_policy() -> Policy:
    """A policy with three collections and workflows granted different access."""
    return Policy.model_validate({
        "controller": {"name": "Clínica Ejemplo SL", "contact": "privacidad@example.es",
                       "dpo": "dpo@example.es"},
        "providers": [
            {"id": "mistral-eu", "adapter": "openai-compatible", "tier": "enterprise",
             "trains_on_data": False, "country": "FR"},
            {"id": "local", "adapter": "ollama", "tier": "local", "trains_on_data": False,
             "country": "ES"},
        ],
        "collections": [
            {"id": "leads", "category": "personal", "retention_days": 365,
             "fields": ["name", "email", "phone", "notes", "score"]},
            {"id": "calls", "category": "communications", "retention_days": 90,
             "fields": ["transcript", "summary", "agent"]},
            {"id": "invoices", "category": "financial", "retention_days": 3650},
        ],
        "retention": [{"category": "communications", "days": 30, "action": "shred"}],
        "workflows": [
            {"id": "lead-qualifier", "purpose": "Qualify inbound leads",
             "legal_basis": "legitimate_interests", "providers": ["mistral-eu"],
             "endpoints": ["chat.completions", "vault"],
             "collections": [{"collection": "leads", "read": True, "write": True}]},
            {"id": "voice-agent", "purpose": "Transcribe support calls into the CRM",
             "legal_basis": "contract", "providers": ["local"],
             "endpoints": ["vault"],
             "collections": [
                 {"collection": "calls", "read": True, "write": True, "retention_days": 7},
                 {"collection": "leads", "read": True, "write": False,
                  "fields": ["name", "score"]},
             ]},
            {"id": "newsletter", "purpose": "Send the monthly newsletter",
             "legal_basis": "consent", "endpoints": ["chat.completions"],
             "collections": [{"collection": "leads", "read": True}]},
        ],
    })


async def memory_vault_stack(
    db: Database,
    clock: Clock,
    audit: AuditSink,
    *,
    policy: Policy | None = None,
    audit_query: AuditQuery = no_audit_history,
    rights: RightsConfig | None = None,
    sweep_batch_size: int = 10_000,
    kek: bytes | None = None,
) -> VaultStack:
    """A full stack over ``db`` whose KEK lives in memory (random unless ``kek`` is given)."""
    provider = MemoryKeyProvider([kek] if kek else None, clock=clock)
    keys = DataKeys(db, provider, clock)
    return await build_vault_stack(
        db=db, policy=policy or sample_vault_policy(), clock=clock, encryptor=Encryptor(keys),
        audit=audit, audit_query=audit_query, rights=rights, sweep_batch_size=sweep_batch_size,
    )
