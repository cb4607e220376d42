"""Logs never carry a personal value: canaries go in, only placeholders come out."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from resguardo.logs import configure_logging, scrub

CANARIES = {
    "email": "lucia.canary@ejemplo.es",
    "email_encoded": "lucia.canary%40ejemplo.es",
    "phone": "+34 612 345 678",
    "phone_plain": "612345678",
    "dni": "12345678Z",
    "nie": "X1234567L",
    "card": "4111 1111 1111 1111",
    "iban": "ES91 2100 0418 4502 0005 1332",
    "iban_compact": "ES9121000418450200051332",
    "secret": "sk-proj-abcdefghijklmnop1234",
}


@pytest.mark.parametrize("kind", sorted(CANARIES))
def test_scrub_removes_each_kind_of_value(kind: str) -> None:
    """Each canary is replaced, whatever text surrounds it."""
    value = CANARIES[kind]
    out = scrub(f"cliente {value} llamó")
    assert value not in out
    assert out.startswith("cliente ") and out.endswith(" llamó")


def test_scrub_keeps_ordinary_text() -> None:
    """Words, short numbers and ids stay readable."""
    text = "workflow email-triage sent 3 requests in 120 ms (status 200)"
    assert scrub(text) == text


def test_configured_logging_scrubs_structlog_and_stdlib_lines() -> None:
    """Both our structured events and a library's formatted message are scrubbed."""
    stream = io.StringIO()
    configure_logging("info", json=True, stream=stream)
    try:
        structlog.get_logger("t").info(
            f"lookup {CANARIES['email']}", dni=CANARIES["dni"], nested={"iban": CANARIES["iban"]}
        )
        logging.getLogger("uvicorn.access").info(
            "GET /v1/restore?email=%s 200", CANARIES["email_encoded"]
        )
        try:
            raise ValueError(CANARIES["card"])
        except ValueError:
            logging.getLogger("x").exception("failed for %s", CANARIES["phone"])
    finally:
        logging.getLogger().handlers.clear()
    output = stream.getvalue()
    for value in CANARIES.values():
        assert value not in output
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 3
