"""Imports every table module so ``Base.metadata`` knows the whole schema (Alembic, tests).

Each area keeps its tables in its own ``tables.py``; add one import line here per area.
"""

from __future__ import annotations

from resguardo.store.base import Base

__all__ = ["Base", "load_all"]


def load_all() -> None:
    """Register every table on ``Base.metadata`` (imports are deferred: nothing at import time)."""
    import importlib

    for module in _TABLE_MODULES:
        importlib.import_module(module)


_TABLE_MODULES: tuple[str, ...] = (
    # one line per area, e.g. "resguardo.crypto.tables",
    "resguardo.crypto.tables",
    "resguardo.auth.tables",
    "resguardo.audit.tables",
    "resguardo.vault.tables",
    "resguardo.rights.tables",
    "resguardo.governance.tables",
)
