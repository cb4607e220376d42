"""Detection quality: MEDDOCAN dev, es_echr dev (both annotations) and a synth es/en corpus.

    .venv/bin/python bench/eval_detect.py                 # writes bench/RESULTS.md
    .venv/bin/python bench/eval_detect.py --misses 3      # also print example misses per type
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import command, machine, write_section

from resguardo.evaluate import (
    SYNTH,
    EvalReport,
    GoldDoc,
    GoldSpan,
    evaluate,
    load_corpus,
)
from resguardo.synth import generate

DATASETS = Path("/work/shared/datasets")
# Targets from issue 3: recall >= 0.99 and precision >= 0.95 for these on synth.
SYNTH_TARGETS = ("EMAIL", "IBAN", "CREDIT_CARD", "ES_DNI", "ES_NIE", "PHONE")


def synth_docs(n: int, seed: int) -> list[GoldDoc]:
    """The synthetic corpus, generated in memory (same seed, same corpus)."""
    return [
        GoldDoc(d.id, d.text, tuple(GoldSpan(lb.start, lb.end, lb.type) for lb in d.labels))
        for d in generate(n, seed=seed)
    ]


def table(report: EvalReport) -> list[str]:
    """A Markdown table of per-type scores."""
    out = [
        f"**{report.corpus}** — {report.docs} docs, {report.chars:,} chars, detector time "
        f"{report.seconds:.2f} s ({report.chars / max(report.seconds, 1e-9) / 1e6:.2f} M chars/s); "
        f"personal chars masked **{report.masked_share:.3f}** (all gold labels incl. unscored "
        f"{report.masked_share_all_gold:.3f}); non-personal chars masked "
        f"{report.overmasked_share:.3f}",
        "",
        "| type | gold | pred | P exact | R exact | F1 exact | P overlap | R overlap | "
        "F1 overlap | chars masked |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in (*report.rows, report.micro):
        out.append(
            f"| {r.type} | {r.gold} | {r.pred} | {r.exact.precision:.3f} | "
            f"{r.exact.recall:.3f} | {r.exact.f1:.3f} | {r.overlap.precision:.3f} | "
            f"{r.overlap.recall:.3f} | {r.overlap.f1:.3f} | {r.masked:.3f} |"
        )
    if report.unmapped_gold:
        out.append("")
        out.append("Unscored gold labels (no matching entity type): " + ", ".join(
            f"{k} {v}" for k, v in report.unmapped_gold.items()))
    if report.unscored_predictions:
        out.append("")
        out.append("Unscored findings (type not annotated in this corpus): " + ", ".join(
            f"{k} {v}" for k, v in report.unscored_predictions.items()))
    return out


def targets(reports: dict[str, EvalReport]) -> list[str]:
    """The issue's quality targets, met or not."""
    out = ["| target | measured | met |", "|---|---|---|"]
    synth = reports.get("synth")
    if synth is not None:
        rows = {r.type: r for r in synth.rows}
        for t in SYNTH_TARGETS:
            r = rows.get(t)
            if r is None:
                continue
            ok = r.overlap.recall >= 0.99 and r.overlap.precision >= 0.95
            out.append(
                f"| synth {t}: R >= 0.99, P >= 0.95 (overlap) | R {r.overlap.recall:.3f} / "
                f"P {r.overlap.precision:.3f} (exact R {r.exact.recall:.3f} / "
                f"P {r.exact.precision:.3f}) | {'yes' if ok else 'NO'} |"
            )
    med = reports.get("meddocan")
    if med is not None:
        out.append(f"| MEDDOCAN dev: personal chars masked >= 0.90 | {med.masked_share:.3f} | "
                   f"{'yes' if med.masked_share >= 0.90 else 'NO'} |")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--misses", type=int, default=0, help="print N example misses per type")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    from resguardo.detect import build_analyzer

    detector = build_analyzer()
    reports: dict[str, EvalReport] = {}
    jobs: list[tuple[str, str, Path | None]] = [
        ("meddocan", "meddocan", args.datasets / "meddocan" / "dev" / "brat"),
        ("echr-manual", "echr", args.datasets / "es_echr" / "ES-manual-dev.tsv"),
        ("echr-rev", "echr", args.datasets / "es_echr" / "ES-rev-dev.tsv"),
        ("synth", "synth", None),
    ]
    for key, corpus, path in jobs:
        if path is None:
            schema, docs = SYNTH, iter(synth_docs(args.synth_n, args.seed))
        elif not path.exists():
            print(f"skip {key}: {path} not found")
            continue
        else:
            schema, docs = load_corpus(corpus, path)
        report = evaluate(detector, docs, schema, max_misses_per_type=args.misses)
        reports[key] = report
        print(f"{key}: masked {report.masked_share:.3f}, micro overlap "
              f"P {report.micro.overlap.precision:.3f} R {report.micro.overlap.recall:.3f}",
              flush=True)
        for miss in report.misses:
            print(f"  {miss.kind} {miss.type:<14} {miss.snippet}")

    body = [
        f"- machine: {machine()}",
        f"- command: `{command()}`",
        "- corpora: MEDDOCAN dev (BRAT), es_echr dev `ES-manual` and `ES-rev` (BIO, tokens "
        "re-joined with spaces), synth es/en corpus of "
        f"{args.synth_n} docs (seed {args.seed}, 7 kinds)",
        "- matching: *exact* = same offsets and compatible type; *overlap* = any character "
        "in common and compatible type. Corpus labels are mapped to our types "
        "(src/resguardo/evaluate/schema.py); our ID types count as the corpus's ID label. "
        "'chars masked' = non-space gold characters covered by any finding, type-agnostic.",
        "",
        "### Targets",
        "",
        *targets(reports),
    ]
    for key, report in reports.items():
        body += ["", f"### {key}", "", *table(report)]
    if args.no_write:
        print("\n".join(body))
    else:
        write_section("detect-eval", "Detection: quality (eval_detect.py)", "\n".join(body))
        print("wrote bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
