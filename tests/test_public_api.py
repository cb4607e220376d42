"""Every module's public surface is what it says: each name in ``__all__`` exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import resguardo

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(resguardo.__path__, "resguardo.")
    if ".migrations" not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_is_defined(name: str) -> None:
    """Importing the module has no side effects that fail, and ``__all__`` names resolve."""
    module = importlib.import_module(name)
    for public in getattr(module, "__all__", ()):
        assert hasattr(module, public), f"{name}.__all__ lists missing {public!r}"
