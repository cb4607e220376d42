"""Periodic work inside ``serve``: retention, breach deadlines, review callbacks.

Each job runs in its own task, is restarted on the next tick after a failure (logged by
class name only: exception text can hold personal data), and stops with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["Job", "Jobs"]

log = logging.getLogger("resguardo.background")


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[object]]


@dataclass
class Jobs:
    """A set of periodic jobs with start and stop hooks for the app's lifespan."""

    jobs: list[Job] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def add(self, name: str, interval_seconds: float, run: Callable[[], Awaitable[object]]) -> None:
        """Register a job (started by ``start``)."""
        self.jobs.append(Job(name, interval_seconds, run))

    async def start(self) -> None:
        """Start every job's loop."""
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job-{job.name}"))

    async def stop(self) -> None:
        """Cancel every loop and wait for it."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _loop(self, job: Job) -> None:
        while True:
            try:
                await job.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("background job failed", extra={"job": job.name,
                                                          "error_class": type(exc).__name__})
            await asyncio.sleep(job.interval_seconds)
