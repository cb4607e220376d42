"""Resguardo: the data-protection layer between business AI automations and the models."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
