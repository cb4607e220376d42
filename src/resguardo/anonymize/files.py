"""Read CSV, JSON and JSONL exports (a file or a directory), anonymize, write the copy.

Two passes: the first counts records (for the progress bar) and gathers every name held in
a name field, so a name is replaced in free text anywhere in the input, not only in its own
row; the second anonymizes and writes. Output files are written beside their final name
and renamed into place, so a failed run never leaves half a file that looks complete.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from resguardo.anonymize.keys import RunSecret
from resguardo.anonymize.records import KnownNames, RecordAnonymizer, person_values
from resguardo.anonymize.surrogates import SurrogateMaker
from resguardo.detect.types import Detector
from resguardo.errors import Conflict, InputError

__all__ = ["FORMATS", "AnonymizeSummary", "anonymize_path", "plan_files"]

FORMATS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_SNIFF_BYTES = 16 * 1024

Row = list[dict[str, str]]  # a CSV row as one-item dicts: keeps order and duplicate headers


@dataclass
class AnonymizeSummary:
    """What was done, in counts only: never a value, never a mapping."""

    files: int = 0
    records: int = 0
    replaced: dict[str, int] = field(default_factory=dict)
    dates_shifted: int = 0
    skipped_files: int = 0
    seconds: float = 0.0

    @property
    def total_replaced(self) -> int:
        """Values replaced, all types together."""
        return sum(self.replaced.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json``)."""
        return {"files": self.files, "records": self.records,
                "replaced": dict(sorted(self.replaced.items())),
                "total_replaced": self.total_replaced, "dates_shifted": self.dates_shifted,
                "skipped_files": self.skipped_files, "seconds": round(self.seconds, 3)}


def plan_files(source: Path, output: Path) -> tuple[list[tuple[Path, Path]], int]:
    """(input, output) pairs to process and how many files were skipped (unknown formats)."""
    source, output = source.resolve(), output.resolve()
    if not source.exists():
        raise InputError("The input does not exist.", code="input_missing")
    if source == output:
        raise InputError("The output must differ from the input.", code="output_is_input")
    if source.is_file():
        if source.suffix.lower() not in FORMATS:
            raise InputError("Unsupported format: use .csv, .tsv, .json, .jsonl or .ndjson.",
                             code="unsupported_format")
        target = output / source.name if output.is_dir() else output
        return [(source, target)], 0
    if output.is_relative_to(source):
        # The copy would be read back as input on the next run and mix with the real data.
        raise InputError("The output directory must be outside the input directory.",
                         code="output_inside_input")
    pairs: list[tuple[Path, Path]] = []
    skipped = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        if path.suffix.lower() in FORMATS:
            pairs.append((path, output / path.relative_to(source)))
        else:
            skipped += 1  # never copied: an unknown file may hold personal data
    return pairs, skipped


def _sniff(sample: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    # The header line decides: column names rarely contain a delimiter, free text often does.
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(path: Path) -> tuple[list[str], Iterator[Row], str]:
    fh = path.open(encoding="utf-8-sig", newline="")
    delimiter = _sniff(fh.read(_SNIFF_BYTES), path.suffix.lower())
    fh.seek(0)
    reader = csv.reader(fh, delimiter=delimiter)
    header = next(reader, [])

    def rows() -> Iterator[Row]:
        with fh:
            for cells in reader:
                yield [{header[i] if i < len(header) else "": v} for i, v in enumerate(cells)]

    return header, rows(), delimiter


def _json_records(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        raise InputError(f"{path.name}: not valid JSON.", code="invalid_json") from None


def _jsonl_lines(path: Path) -> Iterator[tuple[int, Any | None]]:
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                yield number, None
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError:
                raise InputError(f"{path.name}: line {number} is not valid JSON.",
                                 code="invalid_json") from None


def _records(path: Path) -> Iterator[Any]:
    kind = FORMATS[path.suffix.lower()]
    if kind == "csv":
        yield from _csv_rows(path)[1]
    elif kind == "json":
        data = _json_records(path)
        yield from data if isinstance(data, list) else [data]
    else:
        yield from (obj for _, obj in _jsonl_lines(path) if obj is not None)


def _write_csv(src: Path, tmp: Path, anon: RecordAnonymizer, tick: Callable[[], None]) -> None:
    header, rows, delimiter = _csv_rows(src)
    with tmp.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            anon.anonymize(row)
            writer.writerow([next(iter(cell.values())) for cell in row])
            tick()


def _write_json(src: Path, tmp: Path, anon: RecordAnonymizer, tick: Callable[[], None]) -> None:
    data = _json_records(src)
    if isinstance(data, list):
        for i, item in enumerate(data):
            data[i] = anon.anonymize(item)
            tick()
    else:
        data = anon.anonymize(data)
        tick()
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def _write_jsonl(src: Path, tmp: Path, anon: RecordAnonymizer, tick: Callable[[], None]) -> None:
    with tmp.open("wb") as out:
        for _, obj in _jsonl_lines(src):
            if obj is None:
                out.write(b"\n")
                continue
            out.write(orjson.dumps(anon.anonymize(obj)) + b"\n")
            tick()


_WRITERS = {"csv": _write_csv, "json": _write_json, "jsonl": _write_jsonl}


def anonymize_path(
    source: Path,
    output: Path,
    detector: Detector,
    *,
    secret: RunSecret | None = None,
    lang: str = "es",
    region: str = "ES",
    shift_per_subject: bool = True,
    overwrite: bool = False,
    on_total: Callable[[int], None] | None = None,
    on_record: Callable[[], None] | None = None,
) -> AnonymizeSummary:
    """Write an anonymized copy of ``source`` (file or directory) to ``output``."""
    started = time.monotonic()
    pairs, skipped = plan_files(source, output)
    if not overwrite:
        for _, target in pairs:
            if target.exists():
                raise Conflict("The output file already exists (use --force to replace it).",
                               code="output_exists", details={"file": target.name})
    names = KnownNames()
    total = 0
    for src, _ in pairs:
        for record in _records(src):
            total += 1
            for name in person_values(record):
                names.add(name)
    if on_total is not None:
        on_total(total)
    maker = SurrogateMaker(secret or RunSecret(), lang=lang, region=region)
    anon = RecordAnonymizer(detector, maker, known_names=names,
                            shift_per_subject=shift_per_subject)
    summary = AnonymizeSummary(skipped_files=skipped)

    def tick() -> None:
        summary.records += 1
        if on_record is not None:
            on_record()

    for src, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        try:
            _WRITERS[FORMATS[src.suffix.lower()]](src, tmp, anon, tick)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        summary.files += 1
    summary.replaced = dict(maker.counts)
    summary.dates_shifted = maker.dates_shifted
    summary.seconds = time.monotonic() - started
    return summary

