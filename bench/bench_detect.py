"""Detection throughput and latency on one core, side by side with Presidio (regex-only).

Texts of ~200 characters, ~2 KB and ~20 KB are cut from synthetic es/en business documents
(resguardo.synth, fixed seed), so both engines see exactly the same inputs.

    .venv/bin/python bench/bench_detect.py            # full run, writes bench/RESULTS.md
    .venv/bin/python bench/bench_detect.py --quick    # smoke run, prints only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import command, machine, pin_one_core, write_section

from resguardo.synth import generate

SIZES = {"200 chars": 200, "2 KB": 2_000, "20 KB": 20_000}
COUNTS = {"200 chars": 400, "2 KB": 150, "20 KB": 24}
TARGET_P50_MS = {"200 chars": 0.5, "2 KB": 3.0}


def build_texts(size: int, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` (text, lang) pairs of about ``size`` characters, cut at a space."""
    docs = generate(count * max(1, size // 300) + 50, seed=seed)
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    length = 0
    lang = "es"
    for doc in docs:
        if not buf:
            lang = doc.lang
        buf.append(doc.text)
        length += len(doc.text) + 2
        if length >= size:
            text = "\n\n".join(buf)
            cut = text.rfind(" ", 0, size)
            out.append((text[: cut if cut > size * 0.8 else size], lang))
            buf, length = [], 0
            if len(out) == count:
                break
    return out


@dataclass
class Result:
    texts_per_s: float
    mb_per_s: float
    p50_ms: float
    p99_ms: float
    runs: int


def measure(fn: Callable[[str, str], object], texts: list[tuple[str, str]],
            min_seconds: float) -> Result:
    """Time ``fn`` per text, repeating the set until ``min_seconds`` have passed."""
    for text, lang in texts[:5]:
        fn(text, lang)  # warm-up: lazy compilation, caches
    latencies: list[float] = []
    total_bytes = 0
    started = time.perf_counter()
    runs = 0
    while True:
        for text, lang in texts:
            t0 = time.perf_counter()
            fn(text, lang)
            latencies.append(time.perf_counter() - t0)
            total_bytes += len(text.encode("utf-8"))
        runs += 1
        if time.perf_counter() - started >= min_seconds:
            break
    busy = sum(latencies)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(len(latencies) / busy, total_bytes / busy / 1e6,
                  statistics.median(latencies) * 1e3, p99 * 1e3, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few texts, no RESULTS.md")
    parser.add_argument("--no-presidio", action="store_true", help="skip the Presidio side")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    cpu = pin_one_core()
    from resguardo.detect import build_analyzer

    ours = build_analyzer()
    presidio = None
    presidio_note = "not run (--no-presidio)"
    if not args.no_presidio:
        try:
            from presidio_regex import build_presidio

            presidio = build_presidio()
            presidio_note = ("presidio-analyzer, regex-only: spaCy blank tokenizer, no NER model "
                             "(none can be downloaded here); predefined recognizers for en+es, "
                             "each text analysed with its language")
        except ImportError:
            presidio_note = "not installed (pip install -e .[bench])"

    def run_ours(text: str, lang: str) -> object:
        return ours.analyze(text)

    def run_presidio(text: str, lang: str) -> object:
        assert presidio is not None
        return presidio.analyze(text=text, language=lang)

    scale = 0.1 if args.quick else 1.0
    rows = []
    for label, size in SIZES.items():
        texts = build_texts(size, max(3, int(COUNTS[label] * scale)), args.seed)
        mine = measure(run_ours, texts, 0.2 if args.quick else 2.0)
        theirs = measure(run_presidio, texts, 0.0) if presidio is not None else None
        rows.append((label, len(texts), mine, theirs))
        speed = f"{mine.texts_per_s / theirs.texts_per_s:.1f}x" if theirs else "-"
        print(f"{label:>9}: resguardo {mine.texts_per_s:9.1f} texts/s {mine.mb_per_s:6.2f} MB/s "
              f"p50 {mine.p50_ms:7.3f} ms p99 {mine.p99_ms:7.3f} ms | "
              + (f"presidio {theirs.texts_per_s:8.1f} texts/s p50 {theirs.p50_ms:7.2f} ms | "
                 f"speed-up {speed}" if theirs else "presidio -"), flush=True)

    lines = [
        f"- machine: {machine()}; pinned to CPU {cpu}",
        f"- command: `{command()}`",
        f"- Presidio: {presidio_note}",
        "- texts: cut from synthetic es/en business documents (resguardo.synth, seed "
        f"{args.seed}); latency per `analyze` call; resguardo repeated for >= 2 s, Presidio "
        "one pass",
        "",
        "| size | texts | resguardo texts/s | MB/s | p50 ms | p99 ms "
        "| Presidio texts/s | MB/s | p50 ms | p99 ms | speed-up | p50 target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, n, mine, theirs in rows:
        target = TARGET_P50_MS.get(label)
        verdict = "-" if target is None else (
            f"<= {target} ms {'met' if mine.p50_ms <= target else 'NOT met'}")
        if theirs:
            ratio = mine.texts_per_s / theirs.texts_per_s
            their_cols = (f"{theirs.texts_per_s:.1f} | {theirs.mb_per_s:.3f} | "
                          f"{theirs.p50_ms:.2f} | {theirs.p99_ms:.2f} | {ratio:.1f}x "
                          f"({'met' if ratio >= 10 else 'NOT met'} >= 10x)")
        else:
            their_cols = "- | - | - | - | -"
        lines.append(f"| {label} | {n} | {mine.texts_per_s:.1f} | {mine.mb_per_s:.3f} | "
                     f"{mine.p50_ms:.3f} | {mine.p99_ms:.3f} | {their_cols} | {verdict} |")
    if args.quick:
        print("\n".join(lines))
    else:
        write_section("detect-speed", "Detection: throughput and latency (bench_detect.py)",
                      "\n".join(lines))
        print("wrote bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
