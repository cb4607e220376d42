"""The README's run path end to end: `resguardo serve` on a fresh data directory answers
an OpenAI client through the built-in demo provider, with no upstream API key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from loopback import free_port

BIN = Path(sys.executable).parent / "resguardo"


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESGUARDO_DATA_DIR": str(data)}
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve") / "data"
    port = free_port()
    env = {**os.environ, "RESGUARDO_DATA_DIR": str(data), "RESGUARDO_LOG_LEVEL": "warning"}
    env.pop("RESGUARDO_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"serve exited early:\n{out}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("serve did not start within 60 s")
        yield base, data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_serve_initialises_the_embedded_default(server: tuple[str, Path]) -> None:
    """The first start creates the KEK, the policy and the SQLite database."""
    _base, data = server
    assert (data / "kek.json").exists()
    assert (data / "resguardo.yaml").exists()
    assert (data / "resguardo.db").exists()


def test_demo_workflow_answers_the_openai_client_and_restores_values(
    server: tuple[str, Path],
) -> None:
    """A key made with the CLI works at once; the demo provider echoes, values come back."""
    base, data = server
    made = _cli(data, "--json", "keys", "create", "--workflow", "demo", "--env", "live")
    assert made.returncode == 0, made.stderr
    secret = json.loads(made.stdout)["key"]
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=secret)
    models = client.models.list()
    assert models.data
    reply = client.chat.completions.create(
        model=models.data[0].id,
        messages=[{"role": "user", "content": "Repite: escribe a lucia.gomez@ejemplo.es"}],
    )
    assert "lucia.gomez@ejemplo.es" in (reply.choices[0].message.content or "")


def test_requests_without_a_key_are_refused(server: tuple[str, Path]) -> None:
    """No key, no service: 401 with the one error shape."""
    base, _data = server
    response = httpx.post(f"{base}/v1/chat/completions", json={"model": "demo", "messages": []})
    assert response.status_code == 401
    assert "code" in response.json()["error"]
