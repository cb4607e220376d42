"""Build one adapter per provider in the policy."""

from __future__ import annotations

from resguardo.policy.schema import AdapterKind, Policy
from resguardo.providers.anthropic import AnthropicAdapter
from resguardo.providers.base import ProviderAdapter
from resguardo.providers.demo import DemoAdapter
from resguardo.providers.openai_compat import OpenAICompatibleAdapter
from resguardo.providers.transport import Transport

__all__ = ["build_adapters"]


def build_adapters(
    policy: Policy, transport: Transport, *, backoff: float = 0.25
) -> dict[str, ProviderAdapter]:
    """Adapters keyed by provider id (a misconfigured provider fails here, at start-up)."""
    adapters: dict[str, ProviderAdapter] = {}
    for provider in policy.providers:
        if provider.adapter is AdapterKind.DEMO:
            adapters[provider.id] = DemoAdapter(provider)
        elif provider.adapter is AdapterKind.ANTHROPIC:
            adapters[provider.id] = AnthropicAdapter(provider, transport, backoff=backoff)
        else:
            adapters[provider.id] = OpenAICompatibleAdapter(provider, transport, backoff=backoff)
    return adapters
