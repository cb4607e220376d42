"""Retention periods from the policy: per collection, capped by its category and by workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from resguardo.policy.schema import Policy

__all__ = ["Action", "SweepRule", "collection_retention", "sweep_rules"]

Action = Literal["delete", "shred"]


@dataclass(frozen=True)
class SweepRule:
    """Records of ``collection`` (written by ``workflow`` if set) expire after ``days``."""

    collection: str
    category: str
    days: int
    action: Action
    workflow: str | None = None
    # For a workflow rule: the collection's own period, so the two rules never overlap.
    outer_days: int | None = None

    def cutoff(self, now: datetime) -> datetime:
        """Records created before this instant have expired."""
        return now - timedelta(days=self.days)

    def floor(self, now: datetime) -> datetime | None:
        """Records created before this instant belong to the collection's rule instead."""
        return None if self.outer_days is None else now - timedelta(days=self.outer_days)

    @property
    def label(self) -> str:
        """Human-readable name for reports."""
        return self.collection if self.workflow is None else f"{self.collection}@{self.workflow}"


def collection_retention(policy: Policy, collection_id: str) -> tuple[int, Action]:
    """The collection's period: the shorter of its own and its category's, and the action."""
    collection = policy.collection(collection_id)
    if collection is None:
        raise KeyError(collection_id)
    days = collection.retention_days
    # Without a category rule the safer action applies: shred keys that no record needs.
    action: Action = "shred"
    rule = next((r for r in policy.retention if r.category == collection.category), None)
    if rule is not None:
        days, action = min(days, rule.days), rule.action
    return days, action


def sweep_rules(policy: Policy) -> list[SweepRule]:
    """Every rule the sweeper applies: one per collection, plus shorter per-workflow periods."""
    rules: list[SweepRule] = []
    for collection in policy.collections:
        days, action = collection_retention(policy, collection.id)
        rules.append(SweepRule(collection.id, collection.category, days, action))
        for workflow in policy.workflows:
            for access in workflow.collections:
                if (
                    access.collection == collection.id
                    and access.retention_days is not None
                    and access.retention_days < days
                ):
                    rules.append(SweepRule(
                        collection.id, collection.category, access.retention_days, action,
                        workflow=workflow.id, outer_days=days,
                    ))
    return rules
