"""API-key verification latency per request, with and without the cache (target p50 <= 0.2 ms).

Runs ``KeyAuthenticator.authenticate`` in a loop over a real SQLite store on one pinned core,
for each revocation fan-out (in-process, epoch file, Redis when reachable) and with the cache
off; then proves a revoke still bites on the very next cached request. Writes the
``auth-verify`` section of bench/RESULTS.md. ``--quick`` prints a smoke run without writing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _results

from resguardo.auth.bundle import AuthServices, build_auth_services
from resguardo.clock import SystemClock
from resguardo.errors import Unauthenticated
from resguardo.policy.schema import Controller, Policy, Provider, Workflow
from resguardo.store.db import Database
from resguardo.store.schema import create_schema
from resguardo.testing import MemoryAuditSink

TARGET_MS = 0.2


def _policy() -> Policy:
    return Policy(
        controller=Controller(name="Bench SL", contact="dpo@bench.example"),
        providers=(Provider(id="local", adapter="ollama", tier="local", trains_on_data=False,
                            country="ES", models=("llama3",)),),
        workflows=(Workflow(id="leads", purpose="bench", categories=("personal",),
                            providers=("local",)),),
    )


class _CountingSink(MemoryAuditSink):
    """Counts events without keeping them, so memory stays flat over many iterations."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def record(self, event: Any) -> None:
        self.count += 1


async def _measure(auth: AuthServices, token: str, n: int) -> list[float]:
    authenticate = auth.authenticator.authenticate
    for _ in range(min(200, n)):  # warm the cache and the code paths
        await authenticate(token, "10.0.0.1")
    out = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        await authenticate(token, "10.0.0.1")
        out.append((clock() - t0) / 1e6)
    return out


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def _redis() -> Any | None:
    try:
        import redis.asyncio as aioredis

        client = aioredis.from_url("redis://127.0.0.1:6379/0")
        await client.ping()
        return client
    except Exception:  # Redis is optional: that row is skipped
        return None


async def run(n: int) -> list[tuple[str, float, float, int, bool]]:
    """(configuration, p50 ms, p99 ms, iterations, revocation bit next request) rows."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await create_schema(db)
        redis = await _redis()
        configs: list[tuple[str, dict[str, Any], int]] = [
            ("cached, in-process epochs", {}, n),
            ("cached, epoch file (server + CLI on one host)",
             {"epoch_file": Path(tmp) / "auth_epoch"}, n),
        ]
        if redis is not None:
            configs.append(("cached, Redis epochs (one GET per request)", {"redis": redis}, n))
        configs.append(("no cache (cache_ttl=0): one SQLite read per request",
                        {"cache_ttl": 0.0}, max(500, n // 10)))
        for name, kwargs, iterations in configs:
            auth = build_auth_services(db=db, policy=_policy(), clock=SystemClock(),
                                       pepper=b"b" * 32, audit_sink=_CountingSink(), **kwargs)
            issued = await auth.keys.create("leads", "live")
            times = await _measure(auth, issued.token, iterations)
            await auth.keys.revoke(issued.info.key_id)
            try:
                await auth.authenticator.authenticate(issued.token, "10.0.0.1")
                bit = False
            except Unauthenticated:
                bit = True
            await auth.authenticator.aclose()
            rows.append((name, statistics.median(times), _pct(times, 99), iterations, bit))
        if redis is not None:
            await redis.aclose()
        await db.dispose()
    return rows


def main() -> None:
    """Measure, print, and (unless --quick) write the RESULTS.md section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Small run, print only.")
    parser.add_argument("-n", type=int, default=20_000, help="Iterations per cached config.")
    args = parser.parse_args()
    cpu = _results.pin_one_core()
    rows = asyncio.run(run(2_000 if args.quick else args.n))
    lines = [
        "| configuration | iterations | p50 ms | p99 ms | revoked key refused on next request |",
        "|---|---|---|---|---|",
    ]
    for name, p50, p99, iterations, bit in rows:
        lines.append(f"| {name} | {iterations} | {p50:.4f} | {p99:.4f} | "
                     f"{'yes' if bit else 'NO'} |")
    cached = rows[0][1]
    met = "met" if cached <= TARGET_MS else "NOT met"
    body = "\n".join([
        f"- machine: {_results.machine()}" + (f"; pinned to CPU {cpu}" if cpu is not None else ""),
        f"- command: `{_results.command()}`",
        "- what: `KeyAuthenticator.authenticate(bearer, ip)` end to end: parse, epoch check, "
        "HMAC-SHA256 + compare_digest, status/expiry/environment/workflow/CIDR checks, "
        "rate-limit check, last-used note and one access-log event (in-memory sink)",
        f"- target: p50 <= {TARGET_MS} ms with caching: **{met}** ({cached:.4f} ms)",
        "",
        *lines,
    ])
    print(body)
    if not args.quick:
        _results.write_section("auth-verify", "API key verification (bench_auth.py)", body)


if __name__ == "__main__":
    main()
