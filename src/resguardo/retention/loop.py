"""The scheduled retention task ``serve`` runs: sweep, then finish erasures whose block ended."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from resguardo.retention.sweeper import Progress, SweepReport
from resguardo.rights.erasure import ErasureOutcome, complete_due_erasures
from resguardo.vault.wiring import VaultStack

__all__ = ["RetentionRun", "retention_loop", "run_retention"]

log = logging.getLogger("resguardo.retention")


@dataclass(frozen=True)
class RetentionRun:
    """One pass: the sweep report and the erasures completed."""

    sweep: SweepReport
    erasures: ErasureOutcome | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (counts and names only)."""
        out = self.sweep.to_dict()
        if self.erasures is not None:
            out["erasures"] = {"erased_subjects": self.erasures.erased_subjects,
                               "deleted_records": self.erasures.deleted_records,
                               "held": self.erasures.held}
        return out


async def run_retention(
    stack: VaultStack, *, dry_run: bool = False, progress: Progress | None = None
) -> RetentionRun:
    """Sweep expired records and complete due erasures (a dry run only counts)."""
    sweep = await stack.sweeper.run(dry_run=dry_run, progress=progress)
    erasures = None if dry_run else await complete_due_erasures(stack.rights)
    return RetentionRun(sweep, erasures)


async def retention_loop(
    get_stack: Callable[[], Awaitable[VaultStack]],
    *,
    interval_seconds: float = 3600.0,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    max_runs: int | None = None,
) -> None:
    """Run ``run_retention`` every ``interval_seconds`` until cancelled (start it in ``serve``)."""
    runs = 0
    while max_runs is None or runs < max_runs:
        runs += 1
        try:
            result = await run_retention(await get_stack())
            log.info("retention pass", extra={"deleted": result.sweep.deleted,
                                              "shredded": result.sweep.subjects_shredded})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Only the class: a driver message may quote parameters. The next pass retries.
            log.error("retention pass failed", extra={"error_class": type(exc).__name__})
        if max_runs is not None and runs >= max_runs:
            return
        await sleep(interval_seconds)
