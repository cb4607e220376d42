"""Gateway overhead: added latency, streaming TTFB and req/s on one uvicorn worker.

Three processes: a loopback aiohttp upstream, the gateway (uvicorn, uvloop + httptools, one
worker), and this load generator. Each measurement runs the same request directly against
the upstream and through the gateway; the difference is what Resguardo adds.

The machine may be shared, so besides wall-clock figures the gateway process's own CPU time
per request is reported (from /proc): it is what one worker with a core to itself would
sustain, whatever else is running.

    .venv/bin/python bench/bench_gateway.py [--detector regex|analyzer] [--audit none|sqlite]
                                            [--seconds 3]

``--audit none`` (default) drops audit events, isolating the HTTP and pipeline cost;
``--audit sqlite`` writes them through the real ``DbAuditLog`` (hash-chained, group-committed)
to a SQLite WAL file, as a default single-node install does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
FILLER = ("El cliente llamó para revisar el pedido y confirmar la entrega del material de "
          "oficina la próxima semana; pide factura a nombre de la empresa. ")
VALUES = "Contacto: ana.ruiz@correo.es, tel 612 345 678, DNI 12345678Z, " \
         "copia a luis.gil@empresa.es o al 699 111 222."
PROMPT = (FILLER * 6)[: 1024 - len(VALUES)] + VALUES
KEY = "rg-bench"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- upstream process ------------------------------------------------------------------

def run_upstream(port: int) -> None:
    """An OpenAI-shaped echo server (aiohttp), as cheap as it can be."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        text = body["messages"][-1]["content"]
        if not body.get("stream"):
            return web.Response(body=orjson.dumps({
                "id": "c", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}),
                content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for i in range(0, len(text), 64):
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0,
                     "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": text[i:i + 64]},
                                  "finish_reason": None}]}
            await resp.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# ---- gateway process -------------------------------------------------------------------

def _audit_sink(services: Any, audit: str, data_dir: Path) -> Any:
    """The audit sink: a no-op one, or the real DB audit log on SQLite."""
    from resguardo.testing import MemoryAuditSink

    if audit == "none":
        class Sink(MemoryAuditSink):
            async def record(self, event: Any) -> None:
                return None  # keep memory flat over a long run

        return Sink()
    from resguardo.audit.hashing import SubjectHasher
    from resguardo.audit.log import DbAuditLog
    from resguardo.store.schema import create_schema

    log = DbAuditLog(services.db, services.clock, None, SubjectHasher(os.urandom(32)))

    async def start() -> None:
        await create_schema(services.db)
        await log.ensure_head()

    services.extras.setdefault("startup", []).insert(0, start)
    services.extras.setdefault("shutdown", []).append(log.aclose)
    return log


def build_app(upstream_port: int, detector: str, audit: str = "none",
              data_dir: Path | None = None) -> Any:
    """The gateway app for the bench (static key; audit sink as chosen)."""
    from resguardo.auth.principal import Principal
    from resguardo.gateway.wiring import default_detector, install_gateway
    from resguardo.http.app import create_app
    from resguardo.policy.schema import Policy
    from resguardo.services import Services
    from resguardo.settings import Settings
    from resguardo.store.db import Database
    from resguardo.testing import RegexDetector, StaticKeyAuthenticator

    policy = Policy.model_validate({
        "controller": {"name": "Bench", "contact": "dpo@bench.invalid"},
        "providers": [{"id": "up", "adapter": "openai-compatible", "tier": "enterprise",
                       "base_url": f"http://127.0.0.1:{upstream_port}/v1",
                       "trains_on_data": False, "country": "ES", "models": ["m"]}],
        "workflows": [{"id": "bench", "purpose": "bench", "legal_basis": "contract",
                       "categories": ["personal", "financial"], "providers": ["up"]}],
    })
    url = ("sqlite+aiosqlite:///:memory:" if data_dir is None
           else f"sqlite+aiosqlite:///{data_dir / 'resguardo.db'}")
    services = Services(settings=Settings(), policy=policy, db=Database(url))
    sink = _audit_sink(services, audit, data_dir or Path("."))
    det = RegexDetector() if detector == "regex" else default_detector(policy)
    install_gateway(services, env={},
                    authenticator=StaticKeyAuthenticator({KEY: Principal("k", "bench", "live")}),
                    audit=sink, detector=det)
    return create_app(services)


def run_gateway(port: int, upstream_port: int, detector: str, audit: str) -> None:
    """uvicorn, one worker, uvloop + httptools."""
    import tempfile

    import uvicorn

    with tempfile.TemporaryDirectory(prefix="rg-bench-") as tmp:
        app = build_app(upstream_port, detector, audit, Path(tmp) if audit != "none" else None)
        uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                    log_level="warning", access_log=False)


# ---- load ------------------------------------------------------------------------------

def _body(stream: bool = False) -> bytes:
    return orjson.dumps({"model": "m", "stream": stream,
                         "messages": [{"role": "user", "content": PROMPT}]})


async def _latencies(url: str, concurrency: int, seconds: float) -> tuple[list[float], float]:
    import aiohttp

    body, headers = _body(), {"Authorization": f"Bearer {KEY}",
                              "Content-Type": "application/json"}
    lat: list[float] = []
    stop = time.perf_counter() + seconds
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency)
    ) as session:
        async def worker() -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"status {r.status}")
                lat.append(time.perf_counter() - t0)

        for _ in range(50):  # warm-up
            async with session.post(url, data=body, headers=headers) as r:
                await r.read()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return lat, len(lat) / elapsed


async def _ttfb(url: str, n: int) -> list[float]:
    import aiohttp

    body, headers = _body(True), {"Authorization": f"Bearer {KEY}",
                                  "Content-Type": "application/json"}
    out: list[float] = []
    async with aiohttp.ClientSession() as session:
        for i in range(n + 20):
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as r:
                await r.content.readany()
                first = time.perf_counter() - t0
                await r.read()
            if i >= 20:
                out.append(first)
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 2 else 0.0


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("server did not start")


async def measure(up: int, gw: int, gw_pid: int, seconds: float) -> list[str]:
    direct = f"http://127.0.0.1:{up}/v1/chat/completions"
    via = f"http://127.0.0.1:{gw}/v1/chat/completions"
    rows = ["| concurrency | direct p50 / p99 (ms) | via gateway p50 / p99 (ms) | "
            "added p50 / p99 (ms) | gateway req/s | gateway CPU per request | "
            "req/s on one free core |", "|---|---|---|---|---|---|---|"]
    for c in (1, 10, 50):
        d, _ = await _latencies(direct, c, seconds)
        cpu0 = _cpu_seconds(gw_pid)
        g, rps = await _latencies(via, c, seconds)
        # The 50 warm-up requests run inside the CPU window too.
        cpu = (_cpu_seconds(gw_pid) - cpu0) / (len(g) + 50)
        rows.append(f"| {c} | {_pct(d, 50):.2f} / {_pct(d, 99):.2f} | "
                    f"{_pct(g, 50):.2f} / {_pct(g, 99):.2f} | "
                    f"{_pct(g, 50) - _pct(d, 50):.2f} / {_pct(g, 99) - _pct(d, 99):.2f} | "
                    f"{rps:,.0f} | {cpu * 1e6:,.0f} µs | {1 / cpu:,.0f} |")
        print(rows[-1], flush=True)
    td, tg = await _ttfb(direct, 200), await _ttfb(via, 200)
    rows.append("")
    rows.append(f"Streaming time to first byte, p50: direct {_pct(td, 50):.2f} ms, via gateway "
                f"{_pct(tg, 50):.2f} ms, overhead {_pct(tg, 50) - _pct(td, 50):.2f} ms "
                f"(p99 overhead {_pct(tg, 99) - _pct(td, 99):.2f} ms).")
    print(rows[-1], flush=True)
    return rows


def main() -> None:
    """Run the three processes and write a section to bench/RESULTS.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("role", nargs="?", default="load", choices=["load", "upstream", "gateway"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream-port", type=int, default=0)
    parser.add_argument("--detector", default="regex", choices=["regex", "analyzer"])
    parser.add_argument("--audit", default="none", choices=["none", "sqlite"])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.role == "upstream":
        run_upstream(args.port)
        return
    if args.role == "gateway":
        run_gateway(args.port, args.upstream_port, args.detector, args.audit)
        return
    up, gw = _port(), _port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    me = [sys.executable, __file__]
    procs = [subprocess.Popen([*me, "upstream", "--port", str(up)], env=env),
             subprocess.Popen([*me, "gateway", "--port", str(gw), "--upstream-port", str(up),
                               "--detector", args.detector, "--audit", args.audit], env=env)]
    try:
        _wait(up)
        _wait(gw)
        rows = asyncio.run(measure(up, gw, procs[1].pid, args.seconds))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    if args.no_write:
        return
    sys.path.insert(0, str(ROOT / "bench"))
    import _results

    sink = ("audit events dropped (no-op sink: HTTP and pipeline cost only)"
            if args.audit == "none" else
            "audit events written by the real DbAuditLog (hash chain, group commit) to "
            "SQLite in WAL mode, two per request, each awaited as in production")
    body = "\n".join([
        f"Machine: {_results.machine()}.",
        "",
        f"Upstream (aiohttp echo), gateway (uvicorn, 1 worker, uvloop + httptools; {sink}) "
        "and this load generator are separate processes on loopback; 1 KB prompt "
        "with 5 personal values; the upstream echoes it, so the gateway also restores 5 "
        "tokens and scans the reply. Added = via gateway minus direct, same percentile. "
        "CPU per request = the gateway process's user+system time over the run divided by "
        "its requests; 'req/s on one free core' is its inverse, the ceiling of one worker "
        "that has a core to itself (the machine is shared, so wall-clock req/s is lower).",
        "",
        f"Command: `{_results.command()}`",
        "",
        *rows,
    ])
    suffix = "" if args.audit == "none" else f"-audit-{args.audit}"
    title = f"Gateway overhead ({args.detector} detector" + (
        ")" if args.audit == "none" else f", audit log on {args.audit})")
    _results.write_section(f"gateway-{args.detector}{suffix}", title, body)


if __name__ == "__main__":
    main()
