"""Backoff and lockout for password and TOTP guessing, per account and per source address.

Counters live in the database (shared by every replica) under a keyed hash of the
subject, so the table holds neither usernames nor IP addresses. Unknown usernames are
throttled exactly like real ones: the lockout reveals nothing about who exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from resguardo.auth.hashing import KeyHasher
from resguardo.auth.tables import LoginThrottleRow
from resguardo.clock import Clock, as_utc
from resguardo.errors import RateLimited
from resguardo.store.db import Database

__all__ = ["LoginThrottle", "ThrottleRule"]


@dataclass(frozen=True)
class ThrottleRule:
    """After ``backoff_after`` failures each further one waits twice as long; at
    ``max_failures`` within ``window`` the subject is locked for ``lockout``."""

    max_failures: int
    window: timedelta
    lockout: timedelta
    backoff_after: int = 3
    backoff_base: timedelta = timedelta(seconds=1)

    def delay(self, failures: int) -> timedelta | None:
        """How long the subject must wait after this many failures (None: no wait)."""
        if failures >= self.max_failures:
            return self.lockout
        if failures >= self.backoff_after:
            return min(self.lockout, self.backoff_base * (1 << (failures - self.backoff_after)))
        return None


ACCOUNT_RULE = ThrottleRule(max_failures=10, window=timedelta(minutes=15),
                            lockout=timedelta(minutes=15))
# An address may try several accounts (an office behind one NAT), but not endlessly.
ADDRESS_RULE = ThrottleRule(max_failures=30, window=timedelta(minutes=15),
                            lockout=timedelta(minutes=30), backoff_after=10)


class LoginThrottle:
    """``check`` before verifying a factor, ``failure``/``success`` after."""

    def __init__(self, db: Database, hasher: KeyHasher, clock: Clock, *,
                 account_rule: ThrottleRule = ACCOUNT_RULE,
                 address_rule: ThrottleRule = ADDRESS_RULE) -> None:
        self.db = db
        self.hasher = hasher
        self.clock = clock
        self.rules = {"account": account_rule, "address": address_rule}

    def _subjects(self, factor: str, account: str,
                  source_ip: str | None) -> list[tuple[str, str]]:
        subjects = [("account", self.hasher.digest("throttle", factor, "account",
                                                   account.strip().lower()))]
        if source_ip:
            subjects.append(("address", self.hasher.digest("throttle", factor, "address",
                                                           source_ip)))
        return subjects

    async def check(self, factor: str, account: str, source_ip: str | None) -> None:
        """RateLimited(login_throttled) while the account or the address must wait."""
        now = self.clock.now()
        async with self.db.session() as session:
            for _scope, subject in self._subjects(factor, account, source_ip):
                row = await session.get(LoginThrottleRow, subject)
                until = as_utc(row.locked_until) if row else None
                if until is not None and until > now:
                    wait = math.ceil((until - now).total_seconds())
                    raise RateLimited("Too many failed attempts; try again later.",
                                      code="login_throttled", details={"retry_after": wait})

    async def failure(self, factor: str, account: str, source_ip: str | None) -> None:
        """Count one failure for the account and the address; set their wait."""
        now = self.clock.now()
        async with self.db.session() as session:
            for scope, subject in self._subjects(factor, account, source_ip):
                rule = self.rules[scope]
                row = await session.get(LoginThrottleRow, subject, with_for_update=True)
                if row is None:
                    row = LoginThrottleRow(subject_hash=subject, failures=0, window_start=now)
                    session.add(row)
                start = as_utc(row.window_start) or now
                if now - start > rule.window:
                    row.failures, row.window_start = 0, now
                row.failures += 1
                delay = rule.delay(row.failures)
                row.locked_until = now + delay if delay else None

    async def success(self, factor: str, account: str) -> None:
        """Clear the account's counter (not the address's: one good login must not
        launder a spray of guesses against other accounts)."""
        subject = self._subjects(factor, account, None)[0][1]
        async with self.db.session() as session:
            row = await session.get(LoginThrottleRow, subject)
            if row is not None:
                await session.delete(row)

