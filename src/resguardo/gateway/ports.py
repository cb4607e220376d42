"""What the gateway asks of other areas, as protocols (isolation guard, review queue)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from resguardo.auth.principal import Principal
from resguardo.policy.schema import Workflow

__all__ = ["LiveDataGuard", "ReviewHold"]


class LiveDataGuard(Protocol):
    """Blocks test-environment requests that carry identifiers of live data subjects."""

    async def check(
        self,
        environment: str,
        values: Sequence[tuple[str, str]],
        *,
        principal: Principal | None = None,
        request_id: str | None = None,
    ) -> Any:
        """Raise PolicyDenied (code ``live_data_in_test``) on a live subject's identifier."""
        ...


class ReviewHold(Protocol):
    """Holds a significant automated decision (Art. 22) until a person reviews it."""

    async def hold(
        self,
        workflow: Workflow | str,
        principal: Principal,
        request_id: str,
        output: dict[str, Any],
        callback_url: str | None = None,
    ) -> Any:
        """Store ``output`` for review; returns a ticket with ``id`` and ``to_dict()``."""
        ...
