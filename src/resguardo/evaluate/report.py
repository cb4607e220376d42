"""Loading a named corpus and rendering an :class:`EvalReport` as a Rich table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.table import Table

from resguardo.errors import InputError
from resguardo.evaluate.corpus import GoldDoc, read_bio, read_brat, read_synth
from resguardo.evaluate.metrics import EvalReport
from resguardo.evaluate.schema import SCHEMAS, CorpusSchema

__all__ = ["CORPORA", "load_corpus", "render_table"]

CORPORA: tuple[str, ...] = tuple(SCHEMAS)


def load_corpus(name: str, path: Path) -> tuple[CorpusSchema, Iterator[GoldDoc]]:
    """The schema and documents of corpus ``name`` (meddocan, echr, synth) at ``path``."""
    if not path.exists():
        raise InputError("Corpus path does not exist.", details={"path": str(path)})
    readers = {"meddocan": read_brat, "echr": read_bio, "synth": read_synth}
    if name not in readers:
        raise InputError(f"Unknown corpus; choose from: {', '.join(CORPORA)}.")
    return SCHEMAS[name], readers[name](path)


def _pct(value: float) -> str:
    return f"{value:.3f}"


def render_table(report: EvalReport) -> Table:
    """Per-type precision/recall/F1 (exact and overlap) and masked share, with a micro row."""
    table = Table(
        title=f"{report.corpus}: {report.docs} docs, {report.chars:,} chars, "
        f"{report.seconds:.2f} s detecting",
        caption=(
            f"personal chars masked {report.masked_share:.3f} "
            f"(all gold incl. unmapped {report.masked_share_all_gold:.3f}); "
            f"other chars masked {report.overmasked_share:.3f}"
        ),
    )
    for header in ("type", "gold", "pred", "P exact", "R exact", "F1 exact",
                   "P overlap", "R overlap", "F1 overlap", "masked"):
        table.add_column(header, justify="left" if header == "type" else "right")
    for row in (*report.rows, report.micro):
        table.add_row(
            row.type, str(row.gold), str(row.pred),
            _pct(row.exact.precision), _pct(row.exact.recall), _pct(row.exact.f1),
            _pct(row.overlap.precision), _pct(row.overlap.recall), _pct(row.overlap.f1),
            _pct(row.masked),
            end_section=row is report.rows[-1] if report.rows else False,
        )
    return table
