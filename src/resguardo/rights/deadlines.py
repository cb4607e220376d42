"""GDPR Art. 12(3) deadlines: one month to answer, extendable by two more with a reason."""

from __future__ import annotations

import calendar
from datetime import datetime

__all__ = ["EXTENSION_MONTHS", "RESPONSE_MONTHS", "add_months"]

RESPONSE_MONTHS = 1
EXTENSION_MONTHS = 2


def add_months(when: datetime, months: int) -> datetime:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)
