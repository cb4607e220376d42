"""Shared fixtures for the detection tests: one analyzer per session (building it loads lists)."""

from __future__ import annotations

import pytest

from resguardo.detect import Analyzer, build_analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The default analyzer."""
    return build_analyzer()
