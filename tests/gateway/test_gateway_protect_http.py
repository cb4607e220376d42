"""/v1/protect and /v1/restore, and the HTTP error contract (400, 401, 413)."""

from __future__ import annotations

import httpx
from gateway_stack import Stack

EMAIL = "marta.gil@empresa.es"
H = {"Authorization": "Bearer rg-forms"}


def test_protect_text_then_restore_within_the_session(gw: Stack) -> None:
    """Text in, tokens and a session id out; restore gives the values back."""
    with httpx.Client(base_url=gw.base_url) as c:
        r = c.post("/protect", headers=H, json={"text": f"Escribe a {EMAIL} o 612345678"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["text"] == "Escribe a [EMAIL_1] o [PHONE_2]"
        assert {e["type"] for e in body["entities"]} == {"EMAIL", "PHONE"}
        assert EMAIL not in r.text.replace(body["text"], "")
        r2 = c.post("/restore", headers=H, json={"session_id": body["session_id"],
                                                "text": "Hecho: email_1 y [PHONE_2]"})
        assert r2.json() == {"text": f"Hecho: {EMAIL} y 612345678"}


def test_protect_json_drops_fields_outside_the_allowlist(gw: Stack) -> None:
    """Structured input is minimized to Workflow.fields before detection."""
    data = {"nombre": "Marta", "email": EMAIL, "dni": "12345678Z",
            "pedido": {"importe": 12, "tarjeta": "4111"}}
    with httpx.Client(base_url=gw.base_url) as c:
        body = c.post("/protect", headers=H, json={"data": data}).json()
    assert body["data"] == {"nombre": "Marta", "email": "[EMAIL_1]", "pedido": {"importe": 12}}
    assert sorted(body["dropped_fields"]) == ["dni", "pedido.tarjeta"]


def test_session_extends_and_expires_after_ttl(gw: Stack) -> None:
    """A second protect joins the session; after the TTL restore is 404."""
    with httpx.Client(base_url=gw.base_url) as c:
        first = c.post("/protect", headers=H, json={"text": EMAIL}).json()
        second = c.post("/protect", headers=H, json={"text": f"otra vez {EMAIL}, y b@c.es",
                                                     "session_id": first["session_id"]}).json()
        assert second["text"] == "otra vez [EMAIL_1], y [EMAIL_2]"
        gw.clock.advance(3601)
        r = c.post("/restore", headers=H, json={"session_id": first["session_id"],
                                               "text": "[EMAIL_1]"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "session_not_found"


def test_another_workflow_cannot_restore_a_session(gw: Stack) -> None:
    """A session is invisible to keys of other workflows."""
    with httpx.Client(base_url=gw.base_url) as c:
        sid = c.post("/protect", headers=H, json={"text": EMAIL}).json()["session_id"]
        r = c.post("/restore", headers={"Authorization": "Bearer rg-crm"},
                   json={"session_id": sid, "text": "[EMAIL_1]"})
        assert r.status_code == 404
        assert EMAIL not in r.text


def test_malformed_json_is_400_openai_style(gw: Stack) -> None:
    """Bad JSON and bad shapes get an OpenAI-style error object."""
    with httpx.Client(base_url=gw.base_url) as c:
        r = c.post("/chat/completions", headers=H, content=b"{nope")
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["type"] == "invalid_request_error" and err["code"] == "invalid_json"
        r = c.post("/chat/completions", headers=H, json={"model": "x", "messages": "hi"})
        assert r.status_code == 400
    assert gw.upstream.received == []


def test_body_over_limit_is_413(gw: Stack) -> None:
    """A body over the configured limit is refused before it is read."""
    with httpx.Client(base_url=gw.base_url) as c:
        r = c.post("/chat/completions", headers=H,
                   json={"messages": [{"role": "user", "content": "x" * 300_000}]})
    assert r.status_code == 413
    assert gw.upstream.received == []


def test_missing_key_is_401(gw: Stack) -> None:
    """No key, no service."""
    with httpx.Client(base_url=gw.base_url) as c:
        r = c.get("/models")
    assert r.status_code == 401


def test_known_values_in_metadata_are_used_and_not_forwarded(gw: Stack) -> None:
    """metadata.resguardo_known marks names; it is removed before forwarding."""
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hola Íñigo Sáez"}],
            "metadata": {"resguardo_known": '[{"value": "Íñigo Sáez", "type": "PERSON"}]'}}
    with httpx.Client(base_url=gw.base_url) as c:
        r = c.post("/chat/completions", headers={"Authorization": "Bearer rg-crm"}, json=body)
    assert r.json()["choices"][0]["message"]["content"] == "Echo: Hola Íñigo Sáez"
    seen = gw.upstream.seen()
    assert "Íñigo".encode() not in seen and b"resguardo_known" not in seen


def test_wrong_method_on_a_hot_path_falls_through_to_the_router(gw: Stack) -> None:
    """HotPaths serves exact method and path only; anything else gets the app's own answer."""
    with httpx.Client(base_url=gw.base_url) as c:
        r = c.get("/chat/completions", headers=H)
        assert r.status_code == 405
        assert r.json()["error"]["code"] == "method_not_allowed"
        r = c.post("/chat/completions", headers={"Authorization": "Bearer wrong"},
                   json={"model": "x", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 401
    assert r.json() == {"error": {"code": "unauthenticated", "message": r.json()["error"]
                                  ["message"], "type": "authentication_error", "param": None}}
    assert gw.upstream.received == []
