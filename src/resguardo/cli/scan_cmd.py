"""``resguardo scan PATH``: find personal data in txt, CSV, JSON and JSONL files."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from resguardo.detect import Analyzer, Finding, build_analyzer
from resguardo.errors import InputError

__all__ = ["ScanHit", "scan", "scan_path"]

CHUNK = 64 * 1024  # characters read at a time: memory stays bounded on huge files
PROGRESS_BYTES = 1024 * 1024  # show a progress bar from this much input on
_TEXT_SUFFIXES = {".txt", ".md", ".log", ".eml", ".text", ""}
_REGION = {"es": "ES", "en": "US", "auto": "ES"}


@dataclass(frozen=True)
class ScanHit:
    """One finding in one file; ``where`` locates the value (JSON path or CSV row/column)."""

    path: str
    finding: Finding
    value: str
    where: dict[str, Any] = field(default_factory=dict)


def _is_binary(path: Path) -> bool:
    head = path.read_bytes()[:8192] if path.stat().st_size < 8192 else _head(path)
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 8 KiB boundary is still text.
        return exc.start < len(head) - 4
    return False


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8192)


def _scan_text(analyzer: Analyzer, path: Path, tick: Callable[[int], None]) -> Iterator[ScanHit]:
    scanner = analyzer.stream()
    released = 0
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        while chunk := fh.read(CHUNK):
            tick(len(chunk.encode("utf-8", "replace")))
            text, found = scanner.feed(chunk)
            yield from (ScanHit(str(path), f, text[f.start - released : f.end - released])
                        for f in found)
            released += len(text)
        text, found = scanner.flush()
        yield from (ScanHit(str(path), f, text[f.start - released : f.end - released])
                    for f in found)


def _scan_csv(analyzer: Analyzer, path: Path, tick: Callable[[int], None]) -> Iterator[ScanHit]:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        header: list[str] | None = None
        for row_no, row in enumerate(reader):
            tick(sum(len(c) + 1 for c in row))
            if row_no == 0 and row and not any(analyzer.analyze(c) for c in row):
                header = row  # a first row with no findings names the columns
                continue
            for col, cell in enumerate(row):
                hint = header[col] if header and col < len(header) else None
                for f in analyzer.analyze(cell, hint=hint):
                    yield ScanHit(str(path), f, cell[f.start : f.end],
                                  {"row": row_no, "column": hint or col})


def _scan_json_value(
    analyzer: Analyzer, path: Path, obj: Any, line: int | None
) -> Iterator[ScanHit]:
    for json_path, f in analyzer.analyze_json(obj):
        value = _at(obj, json_path)
        where: dict[str, Any] = {"json_path": list(json_path)}
        if line is not None:
            where["line"] = line
        yield ScanHit(str(path), f, str(value)[f.start : f.end], where)


def _at(obj: Any, json_path: tuple[str | int, ...]) -> Any:
    for key in json_path:
        obj = obj[key]
    return obj


def _scan_json(analyzer: Analyzer, path: Path, tick: Callable[[int], None]) -> Iterator[ScanHit]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    tick(len(raw.encode("utf-8", "replace")))
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError("The file is not valid JSON.", details={"line": exc.lineno}) from None
    yield from _scan_json_value(analyzer, path, obj, None)


def _scan_jsonl(analyzer: Analyzer, path: Path, tick: Callable[[int], None]) -> Iterator[ScanHit]:
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            tick(len(line.encode("utf-8", "replace")))
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                # Not JSON after all: scan the line as text so nothing slips through.
                for f in analyzer.analyze(line):
                    yield ScanHit(str(path), f, line[f.start : f.end], {"line": line_no})
                continue
            yield from _scan_json_value(analyzer, path, obj, line_no)


_READERS = {".csv": _scan_csv, ".json": _scan_json, ".jsonl": _scan_jsonl, ".ndjson": _scan_jsonl}


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file())


def scan_path(
    analyzer: Analyzer,
    root: Path,
    *,
    on_skip: Callable[[Path, str], None] = lambda p, r: None,
    tick: Callable[[int], None] = lambda n: None,
) -> Iterator[ScanHit]:
    """Every finding in ``root`` (a file or a directory, walked recursively)."""
    for file in _files(root):
        try:
            if _is_binary(file):
                on_skip(file, "binary")
                continue
            reader = _READERS.get(file.suffix.lower(), _scan_text)
            yield from reader(analyzer, file, tick)
        except InputError as exc:
            on_skip(file, exc.message)
        except OSError as exc:
            on_skip(file, exc.strerror or "unreadable")


def _category_of(ctx_policy: Any) -> Callable[[str], str]:
    if ctx_policy is not None:
        return ctx_policy.category_of  # type: ignore[no-any-return]
    from resguardo.policy.schema import DEFAULT_CATEGORIES

    mapping = {t: c.id for c in DEFAULT_CATEGORIES for t in c.entity_types}
    return lambda t: mapping.get(t, "personal")


def scan(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A file or directory to scan.", exists=True)],
    show_values: Annotated[
        bool, typer.Option("--show-values", help="Print the values found (off by default).")
    ] = False,
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per finding, one per line.")
    ] = False,
    lang: Annotated[
        str, typer.Option("--lang", help="es, en or auto: sets the default phone region only.")
    ] = "auto",
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="Policy with custom recognizers.")
    ] = None,
) -> None:
    """Report personal data in txt, CSV, JSON and JSONL files, by type and category."""
    if lang not in _REGION:
        raise typer.BadParameter("choose es, en or auto", param_hint="--lang")
    policy = None
    if policy_file is not None:
        from resguardo.policy.loader import load_policy

        policy = load_policy(policy_file).policy
    analyzer = build_analyzer(
        custom=policy.recognizers if policy is not None else (), region=_REGION[lang]
    )
    category_of = _category_of(policy)
    root_obj = ctx.find_root().obj if ctx is not None else None
    json_lines = json_lines or bool(getattr(root_obj, "json_output", False))
    console = Console(stderr=json_lines)
    notes: list[str] = []

    def skip(file: Path, reason: str) -> None:
        notes.append(f"skipped {file}: {reason}")

    total = sum(p.stat().st_size for p in _files(path))
    by_type: Counter[tuple[str, str]] = Counter()
    places: dict[str, list[str]] = defaultdict(list)
    with Progress(console=console, transient=True,
                  disable=total < PROGRESS_BYTES) as progress:
        task = progress.add_task("scanning", total=total)
        for hit in scan_path(analyzer, path, on_skip=skip,
                             tick=lambda n: progress.advance(task, n)):
            f = hit.finding
            category = category_of(f.type)
            if json_lines:
                record: dict[str, Any] = {"path": hit.path, "start": f.start, "end": f.end,
                                          "type": f.type, "category": category,
                                          "score": f.score, **hit.where}
                if show_values:
                    record["value"] = hit.value
                typer.echo(json.dumps(record, ensure_ascii=False))
                continue
            by_type[(f.type, category)] += 1
            loc = _location(hit)
            places[f.type].append(f"{loc} {hit.value!r}" if show_values else loc)
    for note in notes:
        console.print(f"[yellow]{note}[/yellow]")
    if not json_lines:
        _report(console, by_type, places)


def _location(hit: ScanHit) -> str:
    where = hit.where
    if "json_path" in where:
        path = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in where["json_path"])
        prefix = f"{hit.path}:{where['line']}" if "line" in where else hit.path
        return f"{prefix}{path}@{hit.finding.start}-{hit.finding.end}"
    if "row" in where:
        return f"{hit.path}:row {where['row']}:{where['column']}@{hit.finding.start}"
    return f"{hit.path}@{hit.finding.start}-{hit.finding.end}"


def _report(console: Console, by_type: Counter[tuple[str, str]],
            places: dict[str, list[str]]) -> None:
    if not by_type:
        console.print("No personal data found.")
        return
    table = Table(title="Findings")
    for column in ("type", "category", "count", "locations"):
        table.add_column(column)
    for (kind, category), count in sorted(by_type.items(), key=lambda kv: -kv[1]):
        shown = places[kind][:3]
        more = f" (+{len(places[kind]) - 3} more)" if len(places[kind]) > 3 else ""
        table.add_row(kind, category, str(count), "\n".join(shown) + more)
    console.print(table)
    per_category: Counter[str] = Counter()
    for (_, category), count in by_type.items():
        per_category[category] += count
    console.print("By category: " + ", ".join(f"{c}={n}" for c, n in per_category.most_common()))


