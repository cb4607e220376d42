"""Every pattern stays linear on adversarial input: 4x the text costs ~4x the time."""

from __future__ import annotations

import time

import pytest

from resguardo.detect import Analyzer

# Strings built to make naive patterns backtrack: long runs of almost-matches.
ADVERSARIAL = [
    "a", "1", "1 ", "1-", "1.", "a@", "a.", "A", "Aa ", "Aa de ", "ES1", "4", "X1",
    "-----BEGIN PRIVATE KEY-----", "eyJa", "eyJa.", ":", "::", "a:", "Calle ", "Calle Aa ",
    "Hospital Aa ", "Nombre: ", "Hola Aa ", "password: ", "Bearer ", "12/", "1 años ",
    "sk-", "+34 ", "(1) ", "1º ", "Av. Aa 1, ", "\n", "é", "Ab-Cd ",
    "1 Aa Club Apt. 1, Aa, ", "Aa, AB 1", "Sra. de ", "Nombre: Aa ", "Perfecto, Aa, ",
    "0161 ", "1-1-", "CIPA: nhc-", "1 meses de ",
]


def _cost(fn: object, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        list(fn(text))  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("unit", ADVERSARIAL)
def test_each_recognizer_scales_linearly(analyzer: Analyzer, unit: str) -> None:
    """For every recognizer, time on 4n characters is far below 16x time on n."""
    small = unit * max(1, 16000 // len(unit))
    large = small * 4
    for recognizer in analyzer.registry:
        ratio = 99.0
        for _ in range(3):  # a busy shared machine can spoil one measurement, not three
            t_small = max(_cost(recognizer.find, small), 5e-4)
            t_large = _cost(recognizer.find, large)
            ratio = min(ratio, t_large / t_small)
            if ratio < 12:
                break
        # Linear gives ~4x; quadratic ~16x. 12x leaves room for a busy, shared machine.
        assert ratio < 12, (recognizer.name, repr(unit), ratio)


def test_whole_analyzer_is_fast_on_adversarial_text(analyzer: Analyzer) -> None:
    """A 100 KB mix of adversarial units is analyzed in well under a few seconds."""
    text = "".join(u * 50 for u in ADVERSARIAL)
    text = (text * (100_000 // len(text) + 1))[:100_000]
    start = time.process_time()
    analyzer.analyze(text)
    assert time.process_time() - start < 5.0
