"""A minimal policy that passes every lint rule, to be broken one rule at a time."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from resguardo.policy.loader import LoadedPolicy, parse_policy

BASE: dict[str, Any] = {
    "controller": {"name": "Test S.L.", "contact": "privacy@test.example"},
    "providers": [
        {"id": "eu", "adapter": "openai-compatible", "base_url": "https://eu.example/v1",
         "credential": {"env": "EU_KEY"}, "tier": "enterprise", "trains_on_data": False,
         "country": "FR"},
        {"id": "local", "adapter": "ollama", "base_url": "http://127.0.0.1:11434",
         "tier": "local", "trains_on_data": False, "country": "ES"},
    ],
    "workflows": [
        {"id": "wf", "purpose": "Answer customers.", "legal_basis": "contract",
         "categories": ["personal"], "providers": ["eu", "local"], "retention_days": 30},
    ],
    "collections": [{"id": "notes", "category": "personal", "retention_days": 30}],
    "retention": [{"category": "personal", "days": 365}],
    "recognizers": [{"id": "codes", "entity_type": "CODE_NAME", "deny_list": ["Atlas"],
                     "category": "confidential"}],
}


def base() -> dict[str, Any]:
    """A fresh deep copy of the clean policy."""
    return copy.deepcopy(BASE)


def load(data: dict[str, Any], filename: str = "resguardo.yaml") -> LoadedPolicy:
    """Dump ``data`` to YAML and parse it as a file would be."""
    return parse_policy(yaml.safe_dump(data, sort_keys=False), filename=filename)
