"""A trivial detector for evaluation tests: emails and Spanish DNIs by regex, nothing else."""

from __future__ import annotations

import re
from collections.abc import Sequence

from resguardo.detect.types import Finding, KnownValue

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DNI = re.compile(r"\b\d{8}-?[A-Za-z]\b")


class ToyDetector:
    """Finds emails and DNIs; enough to exercise the scorer end to end."""

    def analyze(
        self, text: str, *, known: Sequence[KnownValue] = (), hint: str | None = None
    ) -> list[Finding]:
        """Regex findings sorted by start."""
        found = [Finding(m.start(), m.end(), "EMAIL", 1.0) for m in _EMAIL.finditer(text)]
        found += [Finding(m.start(), m.end(), "ES_DNI", 0.9) for m in _DNI.finditer(text)]
        return sorted(found, key=lambda f: f.start)


def build() -> ToyDetector:
    """Factory used through ``--detector eval_toy_detector:build``."""
    return ToyDetector()
