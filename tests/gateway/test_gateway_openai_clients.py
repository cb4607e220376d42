"""The official openai client and LangChain against the gateway, with a recording upstream."""

from __future__ import annotations

import json
from urllib.parse import quote

import openai
import pytest
from gateway_stack import Stack
from langchain_openai import ChatOpenAI

NAME = "Lucía Fernández-Ortega"
EMAIL = "lucia.fernandez@example.es"
PHONE = "612 345 678"
DNI = "12345678Z"
SEEDED = (NAME, EMAIL, PHONE, DNI)
KNOWN = json.dumps([{"value": NAME, "type": "PERSON"}])
PROMPT = f"Cliente {NAME}, email {EMAIL}, tel {PHONE}, DNI {DNI}. ¿Qué hacemos?"


def assert_clean(gw: Stack) -> None:
    """No seeded value reached the upstream, in any encoding."""
    seen = gw.upstream.seen()
    assert seen, "the upstream received nothing"
    for value in SEEDED:
        for form in (value, json.dumps(value)[1:-1], quote(value)):
            assert form.lower().encode() not in seen.lower()
    assert b"rg-crm" not in seen  # the caller's own key never goes upstream


def client(gw: Stack, key: str = "rg-crm") -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key=key, max_retries=0,
                         default_headers={"X-Resguardo-Known": KNOWN})


def aclient(gw: Stack, key: str = "rg-crm") -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.base_url, api_key=key, max_retries=0,
                              default_headers={"X-Resguardo-Known": KNOWN})


def test_chat_roundtrip_restores_exact_values_and_upstream_sees_none(gw: Stack) -> None:
    """Sync chat: the reply carries the originals; the upstream saw only tokens."""
    out = client(gw).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "system", "content": f"Agente de {EMAIL}"},
                                       {"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == f"Echo: {PROMPT}"
    assert_clean(gw)
    assert b"[EMAIL_1]" in gw.upstream.seen() and b"[PERSON_2]" in gw.upstream.seen()
    assert b"Bearer sk-upstream-secret" in gw.upstream.seen()
    kinds = [e.kind for e in gw.audit.events]
    assert kinds == ["gateway.request", "gateway.response"]
    assert gw.audit.events[0].data["entity_counts"]["EMAIL"] == 2
    assert EMAIL not in repr(gw.audit.events)


async def test_async_streaming_chat_restores_across_chunk_boundaries(gw: Stack) -> None:
    """Async stream: tokens split over 1..7-char upstream chunks come back whole."""
    for size in (1, 2, 3, 5, 7):
        gw.upstream.chunk = size
        stream = await aclient(gw).chat.completions.create(
            model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": PROMPT}])
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text == f"Echo: {PROMPT}"
    assert_clean(gw)


def test_responses_api_sync_and_stream(gw: Stack) -> None:
    """Responses API, plain and streamed, with the right terminal event."""
    c = client(gw)
    out = c.responses.create(model="gpt-4o-mini", input=PROMPT, instructions=f"Ayuda a {NAME}")
    assert out.output_text == f"Echo: {PROMPT}"
    events = list(c.responses.create(model="gpt-4o-mini", input=PROMPT, stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == f"Echo: {PROMPT}"
    done = next(e for e in events if e.type == "response.output_text.done")
    assert done.text == text
    assert events[-1].response.output_text == text
    assert_clean(gw)


def test_tool_calls_get_original_values_in_arguments(gw: Stack) -> None:
    """Tool-call arguments are restored, JSON-escape-correct, streamed or not."""
    tools = [{"type": "function", "function": {"name": "crear_contacto", "parameters": {
        "type": "object", "properties": {"nota": {"type": "string"}}}}}]
    msg = [{"role": "user", "content": f'Alta "{NAME}" <{EMAIL}>'}]
    c = client(gw)
    out = c.chat.completions.create(model="gpt-4o-mini", messages=msg, tools=tools)
    args = json.loads(out.choices[0].message.tool_calls[0].function.arguments)
    assert args == {"nota": f'Alta "{NAME}" <{EMAIL}>'}
    stream = c.chat.completions.create(model="gpt-4o-mini", messages=msg, tools=tools,
                                       stream=True)
    pieces = [tc.function.arguments or "" for ch in stream if ch.choices
              for tc in ch.choices[0].delta.tool_calls or ()]
    assert json.loads("".join(pieces)) == {"nota": f'Alta "{NAME}" <{EMAIL}>'}
    assert_clean(gw)


def test_multi_turn_history_keeps_one_token_per_value(gw: Stack) -> None:
    """The same email (different case) in several turns maps to one token."""
    history = [{"role": "user", "content": f"Soy {EMAIL}"},
               {"role": "assistant", "content": f"Hola, {EMAIL.upper()}"},
               {"role": "user", "content": f"Repite {EMAIL}"}]
    out = client(gw).chat.completions.create(model="gpt-4o-mini", messages=history)
    assert out.choices[0].message.content == f"Echo: Repite {EMAIL}"
    body = gw.upstream.received[-1]
    assert body.count(b"[EMAIL_1]") == 3 and b"EMAIL_2" not in body


def test_token_from_another_request_is_not_resolved(gw: Stack) -> None:
    """A token minted for one request means nothing in the next one."""
    c = client(gw)
    c.chat.completions.create(model="gpt-4o-mini",
                              messages=[{"role": "user", "content": f"Mail {EMAIL}"}])
    out = c.chat.completions.create(model="gpt-4o-mini",
                                    messages=[{"role": "user", "content": "Dime [EMAIL_1]"}])
    assert out.choices[0].message.content == "Echo: Dime [EMAIL_1]"


def test_percent_encoded_values_are_seen_through(gw: Stack) -> None:
    """A value inside a URL query is detected and never reaches the upstream."""
    url = f"https://crm.example/buscar?email={quote(EMAIL)}&tel={quote(PHONE)}"
    out = client(gw).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": url}])
    assert EMAIL in (out.choices[0].message.content or "")
    assert_clean(gw)


def test_policy_denial_is_403_and_nothing_is_forwarded(gw: Stack) -> None:
    """Personal data for a consumer-tier-only workflow: 403 policy_denied, upstream untouched."""
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client(gw, "rg-strict").chat.completions.create(
            model="cheap-model", messages=[{"role": "user", "content": PROMPT}])
    err = exc.value.body
    assert isinstance(err, dict) and err["code"] == "policy_denied"
    assert err["details"]["workflow"] == "strict" and err["details"]["category"] == "personal"
    assert gw.upstream.received == []
    assert gw.audit.events[-1].outcome == "blocked"


def test_audit_failure_is_503_and_nothing_is_forwarded(gw: Stack) -> None:
    """When the decision cannot be recorded, the request goes nowhere."""
    gw.audit.fail = True
    with pytest.raises(openai.InternalServerError) as exc:
        client(gw).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    assert exc.value.status_code == 503
    assert gw.upstream.received == []


def test_upstream_500_maps_to_502_without_values(gw: Stack) -> None:
    """An upstream error is mapped; its body (which echoes the request) is not relayed."""
    gw.upstream.fail_status = 500
    with pytest.raises(openai.APIStatusError) as exc:
        client(gw).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    assert exc.value.status_code == 502
    assert "PERSON" not in exc.value.response.text and EMAIL not in exc.value.response.text


def test_fallback_to_next_allowed_provider(gw: Stack) -> None:
    """A dead first provider is skipped for the next allowed one."""
    out = client(gw, "rg-fallback").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == f"Echo: {PROMPT}"
    assert gw.audit.events[-1].data["fallbacks"] == 1


def test_midstream_upstream_failure_ends_with_error_event(gw: Stack) -> None:
    """A stream that breaks upstream ends with a well-formed error the client raises."""
    gw.upstream.fail_midstream = True
    stream = client(gw).chat.completions.create(
        model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": PROMPT}])
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


def test_reply_scan_masks_values_the_caller_never_sent(gw: Stack) -> None:
    """An email invented by the model is masked; the caller's own values come back."""
    out = client(gw).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"INVENT para {EMAIL}"}])
    text = out.choices[0].message.content or ""
    assert EMAIL in text and "inventado.es" not in text and "[EMAIL_REDACTED]" in text
    stream = client(gw).chat.completions.create(
        model="gpt-4o-mini", stream=True,
        messages=[{"role": "user", "content": f"INVENT para {EMAIL}"}])
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert streamed == text


def test_reply_scan_block_refuses_the_reply(gw: Stack) -> None:
    """With reply_scan: block, such a reply is refused."""
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client(gw, "rg-blocker").chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "INVENT algo"}])
    assert isinstance(exc.value.body, dict) and exc.value.body["code"] == "reply_blocked"


def test_surrogates_workflow_round_trips(gw: Stack) -> None:
    """Realistic surrogates go upstream instead of tokens and are restored the same way."""
    out = client(gw, "rg-fakes").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == f"Echo: {PROMPT}"
    assert_clean(gw)
    assert b"[EMAIL_" not in gw.upstream.seen()


def test_anthropic_adapter_chat_and_stream(gw: Stack) -> None:
    """Chat through the Anthropic Messages adapter, plain and streamed."""
    c = client(gw, "rg-anthro")
    out = c.chat.completions.create(model="claude-x",
                                    messages=[{"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == f"Echo: {PROMPT}"
    stream = c.chat.completions.create(model="claude-x", stream=True,
                                       messages=[{"role": "user", "content": PROMPT}])
    assert "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices) == \
        f"Echo: {PROMPT}"
    assert b"x-api-key" in gw.upstream.seen().lower()
    assert_clean(gw)


def test_models_lists_only_what_the_key_may_use(gw: Stack) -> None:
    """GET /v1/models (n8n's credential test) shows the workflow's models only."""
    assert [m.id for m in client(gw).models.list()] == ["gpt-4o-mini"]
    assert [m.id for m in client(gw, "rg-anthro").models.list()] == ["claude-x"]
    with pytest.raises(openai.AuthenticationError):
        client(gw, "wrong").models.list()


def test_embeddings_are_pseudonymized(gw: Stack) -> None:
    """Embedding inputs are pseudonymized before they leave."""
    out = client(gw).embeddings.create(model="gpt-4o-mini", input=[PROMPT, "hola"])
    assert len(out.data) == 2
    assert_clean(gw)


def test_demo_provider_works_offline(gw: Stack) -> None:
    """The built-in demo provider answers and streams without any upstream."""
    c = client(gw, "rg-demo")
    out = c.chat.completions.create(model="demo", messages=[{"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == f"Echo: {PROMPT}"
    events = list(c.responses.create(model="demo", input=PROMPT, stream=True))
    assert events[-1].response.output_text == f"Echo: {PROMPT}"
    assert gw.upstream.received == []


def test_langchain_chat_openai_invoke_and_stream(gw: Stack) -> None:
    """LangChain's ChatOpenAI works unchanged against the gateway."""
    llm = ChatOpenAI(base_url=gw.base_url, api_key="rg-crm", model="gpt-4o-mini",
                     max_retries=0, default_headers={"X-Resguardo-Known": KNOWN})
    assert llm.invoke(PROMPT).content == f"Echo: {PROMPT}"
    assert "".join(str(c.content) for c in llm.stream(PROMPT)) == f"Echo: {PROMPT}"
    assert_clean(gw)
