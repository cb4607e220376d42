#!/usr/bin/env bash
# Run every benchmark script in bench/ (bench_*.py and eval_*.py), one after another.
# Each writes its own section of bench/RESULTS.md. Scripts take their defaults (no arguments).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$root/.venv/bin/python}"
status=0
for script in "$here"/bench_*.py "$here"/eval_*.py; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script")"
  if ! (cd "$root" && "$python" "$script"); then
    echo "!! $(basename "$script") failed" >&2
    status=1
  fi
done
exit $status
