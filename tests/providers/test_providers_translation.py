"""Provider adapters: Anthropic translation, SSE parsing, credentials, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from resguardo.errors import ConfigError, InputError, RateLimited, UpstreamError
from resguardo.policy.schema import CredentialRef, Provider
from resguardo.providers.anthropic import chat_to_messages, message_to_chat
from resguardo.providers.base import Credentials, is_retryable, parse_sse, upstream_failure
from resguardo.providers.openai_compat import check_base_url
from resguardo.providers.responses_shim import chat_to_response, responses_to_chat


def test_chat_to_messages_moves_system_tools_and_tool_results() -> None:
    """System prompts, tool definitions, tool calls and results map to Messages blocks."""
    out = chat_to_messages({"model": "c", "messages": [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}]},
        {"role": "tool", "tool_call_id": "t1", "content": "R"},
    ], "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]})
    assert out["system"] == "S" and out["max_tokens"] == 1024
    assert out["messages"][1]["content"][0] == {"type": "tool_use", "id": "t1", "name": "f",
                                                "input": {"a": 1}}
    assert out["messages"][2]["content"][0]["type"] == "tool_result"
    assert out["tools"][0]["input_schema"] == {"type": "object"}


def test_message_to_chat_turns_tool_use_into_tool_calls() -> None:
    """A tool_use block becomes an OpenAI tool call with JSON arguments."""
    chat = message_to_chat({"id": "m", "model": "c", "stop_reason": "tool_use", "content": [
        {"type": "tool_use", "id": "t", "name": "f", "input": {"x": "y"}}]})
    choice = chat["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["arguments"] == '{"x":"y"}'


def test_responses_shim_round_trip_of_input_items() -> None:
    """Responses input items become chat messages and the answer a Responses object."""
    chat = responses_to_chat({"model": "m", "instructions": "I", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "hola"}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "ok"}]})
    assert [m["role"] for m in chat["messages"]] == ["system", "user", "assistant", "tool"]
    resp = chat_to_response({"choices": [{"message": {"content": "hey"}}]}, {"model": "m"})
    assert resp["output"][0]["content"][0]["text"] == "hey" and resp["status"] == "completed"


async def test_parse_sse_handles_events_multiline_and_done() -> None:
    """Event names, split data lines and [DONE] are handled."""
    async def lines() -> AsyncIterator[bytes]:
        for line in [b"event: a\n", b"data: 1\n", b"\n", b"data: 2\r\n", b"data: 3\n", b"\n",
                     b"data: [DONE]\n", b"\n", b"data: 4\n", b"\n"]:
            yield line
    got = [x async for x in parse_sse(lines())]
    assert got == [("a", b"1"), (None, b"2\n3")]


def test_credentials_from_env_and_file(tmp_path: Path) -> None:
    """Env references and secret files resolve; a missing one names only the variable."""
    (tmp_path / "k.txt").write_text("sk-file\n")
    creds = Credentials({"K": "sk-env"}, tmp_path)
    assert creds.resolve(CredentialRef(env="K")) == "sk-env"
    assert creds.resolve(CredentialRef(file="k.txt")) == "sk-file"
    with pytest.raises(ConfigError) as exc:
        creds.resolve(CredentialRef(env="MISSING"))
    assert "MISSING" in exc.value.message


@pytest.mark.parametrize(("status", "cls", "retry"), [
    (429, RateLimited, True), (500, UpstreamError, True), (503, UpstreamError, True),
    (400, InputError, False), (401, UpstreamError, False),
])
def test_upstream_status_mapping_and_retryability(status: int, cls: type, retry: bool) -> None:
    """Upstream statuses map to our errors; 429/5xx are worth a retry or fallback."""
    err = upstream_failure(status, "p")
    assert isinstance(err, cls) and is_retryable(err) is retry


def test_plain_http_only_for_loopback_or_local_providers() -> None:
    """Remote non-local providers must use https."""
    def prov(url: str, tier: str = "enterprise") -> Provider:
        return Provider(id="p", adapter="openai-compatible", base_url=url, tier=tier,
                        trains_on_data=False, country="ES")
    assert check_base_url(prov("https://api.example/v1/")) == "https://api.example/v1"
    assert check_base_url(prov("http://127.0.0.1:1/v1"))
    assert check_base_url(prov("http://ollama.lan:11434/v1", "local"))
    with pytest.raises(ConfigError):
        check_base_url(prov("http://api.example/v1"))
