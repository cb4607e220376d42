"""Scores a detector against gold spans: per-type precision/recall/F1 (exact and overlap) and
the share of personal characters masked."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from resguardo.detect.types import Detector
from resguardo.evaluate.corpus import GoldDoc
from resguardo.evaluate.schema import CorpusSchema

__all__ = ["EvalReport", "Miss", "Scores", "TypeScores", "evaluate"]


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _total(counter: Counter[str]) -> int:
    return sum(counter.values())


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 from hit counts."""

    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, pred_hit: int, pred_n: int, gold_hit: int, gold_n: int) -> Scores:
        """Scores from counts; an empty side scores 0."""
        p, r = _ratio(pred_hit, pred_n), _ratio(gold_hit, gold_n)
        return cls(p, r, _f1(p, r))


@dataclass(frozen=True, slots=True)
class TypeScores:
    """One row: a type's counts, exact and overlap scores, and the share of its chars masked."""

    type: str
    gold: int
    pred: int
    exact: Scores
    overlap: Scores
    masked: float


@dataclass(frozen=True, slots=True)
class Miss:
    """An example of a miss for a report: ``fn`` (gold not found) or ``fp`` (finding not gold)."""

    kind: str
    type: str
    doc_id: str
    snippet: str


@dataclass
class _Counts:
    gold: Counter[str] = field(default_factory=Counter)
    pred: Counter[str] = field(default_factory=Counter)
    gold_exact: Counter[str] = field(default_factory=Counter)
    gold_overlap: Counter[str] = field(default_factory=Counter)
    pred_exact: Counter[str] = field(default_factory=Counter)
    pred_overlap: Counter[str] = field(default_factory=Counter)
    chars: Counter[str] = field(default_factory=Counter)
    chars_masked: Counter[str] = field(default_factory=Counter)
    unscored_pred: Counter[str] = field(default_factory=Counter)
    unmapped_gold: Counter[str] = field(default_factory=Counter)
    mapped_chars: int = 0
    mapped_masked: int = 0
    all_gold_chars: int = 0
    all_gold_masked: int = 0
    other_chars: int = 0
    other_masked: int = 0
    text_chars: int = 0


@dataclass(frozen=True)
class EvalReport:
    """The result of :func:`evaluate`."""

    corpus: str
    docs: int
    rows: tuple[TypeScores, ...]
    micro: TypeScores
    masked_share: float  # non-space chars of mapped gold spans covered by any finding
    masked_share_all_gold: float  # same over every gold span, mapped or not
    overmasked_share: float  # non-space chars outside every gold span that got masked
    unscored_predictions: dict[str, int]
    unmapped_gold: dict[str, int]
    seconds: float
    chars: int
    misses: tuple[Miss, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (misses included only when collected)."""

        def row(r: TypeScores) -> dict[str, object]:
            return {
                "type": r.type, "gold": r.gold, "pred": r.pred, "masked": round(r.masked, 4),
                "exact": {k: round(getattr(r.exact, k), 4) for k in ("precision", "recall", "f1")},
                "overlap": {
                    k: round(getattr(r.overlap, k), 4) for k in ("precision", "recall", "f1")
                },
            }

        out: dict[str, object] = {
            "corpus": self.corpus, "docs": self.docs, "chars": self.chars,
            "seconds": round(self.seconds, 3),
            "masked_share": round(self.masked_share, 4),
            "masked_share_all_gold": round(self.masked_share_all_gold, 4),
            "overmasked_share": round(self.overmasked_share, 4),
            "micro": row(self.micro), "types": [row(r) for r in self.rows],
            "unscored_predictions": self.unscored_predictions,
            "unmapped_gold": self.unmapped_gold,
        }
        if self.misses:
            out["misses"] = [
                {"kind": m.kind, "type": m.type, "doc_id": m.doc_id, "snippet": m.snippet}
                for m in self.misses
            ]
        return out


def _nonspace_covered(text: str, covered: bytearray, start: int, end: int) -> tuple[int, int]:
    total = hit = 0
    for i in range(start, end):
        if not text[i].isspace():
            total += 1
            hit += covered[i]
    return total, hit


def _snippet(text: str, start: int, end: int, width: int = 30) -> str:
    left = text[max(0, start - width) : start].replace("\n", " ")
    right = text[end : end + width].replace("\n", " ")
    return f"…{left}[[{text[start:end]}]]{right}…"


class _Scorer:
    def __init__(self, schema: CorpusSchema, max_misses: int) -> None:
        self.schema = schema
        self.scored = set(schema.scored_types())
        self.c = _Counts()
        self.misses: list[Miss] = []
        self.max_misses = max_misses
        self._miss_count: Counter[tuple[str, str]] = Counter()

    def _miss(self, kind: str, type_: str, doc: GoldDoc, start: int, end: int) -> None:
        key = (kind, type_)
        if self._miss_count[key] < self.max_misses:
            self._miss_count[key] += 1
            self.misses.append(Miss(kind, type_, doc.id, _snippet(doc.text, start, end)))

    def add(self, doc: GoldDoc, findings: Iterable[tuple[int, int, str]]) -> None:
        sch, c = self.schema, self.c
        text = doc.text
        c.text_chars += len(text)
        gold: list[tuple[int, int, str]] = []
        for span in doc.spans:
            mapped = sch.gold_type(span.type)
            if mapped is None:
                c.unmapped_gold[span.type] += 1
            else:
                gold.append((span.start, span.end, mapped))
        preds: list[tuple[int, int, str]] = []
        covered = bytearray(len(text))
        for start, end, ptype in findings:
            covered[start:end] = b"\x01" * (end - start)
            aliased = sch.pred_type(ptype)
            if aliased in self.scored:
                preds.append((start, end, aliased))
            else:
                c.unscored_pred[aliased] += 1
        for gs, ge, gt in gold:
            c.gold[gt] += 1
            exact = any(ps == gs and pe == ge and sch.compatible(pt, gt) for ps, pe, pt in preds)
            overlap = exact or any(
                ps < ge and gs < pe and sch.compatible(pt, gt) for ps, pe, pt in preds
            )
            c.gold_exact[gt] += exact
            c.gold_overlap[gt] += overlap
            total, hit = _nonspace_covered(text, covered, gs, ge)
            c.chars[gt] += total
            c.chars_masked[gt] += hit
            if not overlap:
                self._miss("fn", gt, doc, gs, ge)
        for ps, pe, pt in preds:
            c.pred[pt] += 1
            exact = any(ps == gs and pe == ge and sch.compatible(pt, gt) for gs, ge, gt in gold)
            overlap = exact or any(
                ps < ge and gs < pe and sch.compatible(pt, gt) for gs, ge, gt in gold
            )
            c.pred_exact[pt] += exact
            c.pred_overlap[pt] += overlap
            if not overlap:
                self._miss("fp", pt, doc, ps, pe)
        self._char_shares(doc, gold, covered)

    def _char_shares(
        self, doc: GoldDoc, gold: list[tuple[int, int, str]], covered: bytearray
    ) -> None:
        c, text = self.c, doc.text
        in_gold = bytearray(len(text))
        in_mapped = bytearray(len(text))
        for span in doc.spans:
            in_gold[span.start : span.end] = b"\x01" * (span.end - span.start)
        for gs, ge, _ in gold:
            in_mapped[gs:ge] = b"\x01" * (ge - gs)
        # Character shares count each position once, however many spans overlap it.
        for i, ch in enumerate(text):
            if ch.isspace():
                continue
            if in_gold[i]:
                c.all_gold_chars += 1
                c.all_gold_masked += covered[i]
            else:
                c.other_chars += 1
                c.other_masked += covered[i]
            if in_mapped[i]:
                c.mapped_chars += 1
                c.mapped_masked += covered[i]

    def report(self, docs: int, seconds: float) -> EvalReport:
        c = self.c
        rows = []
        for t in sorted(self.scored):
            if not (c.gold[t] or c.pred[t]):
                continue
            rows.append(TypeScores(
                t, c.gold[t], c.pred[t],
                Scores.of(c.pred_exact[t], c.pred[t], c.gold_exact[t], c.gold[t]),
                Scores.of(c.pred_overlap[t], c.pred[t], c.gold_overlap[t], c.gold[t]),
                _ratio(c.chars_masked[t], c.chars[t]),
            ))
        total = _total
        micro = TypeScores(
            "ALL", total(c.gold), total(c.pred),
            Scores.of(total(c.pred_exact), total(c.pred), total(c.gold_exact), total(c.gold)),
            Scores.of(total(c.pred_overlap), total(c.pred), total(c.gold_overlap), total(c.gold)),
            _ratio(c.mapped_masked, c.mapped_chars),
        )
        return EvalReport(
            corpus=self.schema.name, docs=docs, rows=tuple(rows), micro=micro,
            masked_share=_ratio(c.mapped_masked, c.mapped_chars),
            masked_share_all_gold=_ratio(c.all_gold_masked, c.all_gold_chars),
            overmasked_share=_ratio(c.other_masked, c.other_chars),
            unscored_predictions=dict(c.unscored_pred.most_common()),
            unmapped_gold=dict(c.unmapped_gold.most_common()),
            seconds=seconds, chars=c.text_chars, misses=tuple(self.misses),
        )


def evaluate(
    detector: Detector,
    docs: Iterable[GoldDoc],
    schema: CorpusSchema,
    *,
    max_misses_per_type: int = 0,
) -> EvalReport:
    """Run ``detector`` over ``docs`` and score it under ``schema``."""
    scorer = _Scorer(schema, max_misses_per_type)
    count = 0
    elapsed = 0.0
    for doc in docs:
        started = time.perf_counter()
        findings = detector.analyze(doc.text)
        elapsed += time.perf_counter() - started
        scorer.add(doc, ((f.start, f.end, f.type) for f in findings))
        count += 1
    return scorer.report(count, elapsed)
