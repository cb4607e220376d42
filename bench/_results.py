"""Shared by bench scripts: machine facts, one-core pinning, and RESULTS.md sections.

Each benchmark owns one section of bench/RESULTS.md between markers; a re-run replaces
its own section and leaves the others alone.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
_HEADER = "# Benchmark results\n\nWritten by the scripts in bench/ (see bench/README.md).\n"


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's best guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load() -> str:
    # The machine may be shared: a high load average explains noisy latencies.
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine() -> str:
    """One line: nproc, CPU model, Python version, date, git revision, load average."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"nproc {os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}, "
            f"{when}, tree {revision()}, load average {_load()}")


def revision() -> str:
    """The git commit of the tree measured, marked ``+dirty`` when files differ from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, text=True,
                               capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def command() -> str:
    """The exact command line that ran this script."""
    return " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])


def pin_one_core() -> int | None:
    """Pin this process to one CPU (the last allowed one); returns it, or None if unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    return cpus[-1]


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``body``."""
    start, end = f"<!-- bench:{name} start -->", f"<!-- bench:{name} end -->"
    block = f"{start}\n## {title}\n\n{body.rstrip()}\n{end}\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else _HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = f"{before}{block}\n{after}" if after else f"{before}{block}"
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")
