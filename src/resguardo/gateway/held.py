"""What an automation receives instead of a decision held for human review (GDPR Art. 22)."""

from __future__ import annotations

from typing import Any

__all__ = ["held_reply"]

Json = dict[str, Any]


def held_reply(endpoint: str, reply: Json, ticket_id: str, ticket: Json) -> Json:
    """A well-formed chat or responses answer that names the ticket and holds no output.

    Clients (the openai SDK, n8n) still parse it; the model's text stays in the queue.
    """
    note = f"[held for human review: ticket {ticket_id}; poll GET /v1/reviews/{ticket_id}]"
    held: Json = {k: reply[k] for k in ("id", "object", "created", "model") if k in reply}
    if endpoint == "chat":
        held["choices"] = [{"index": 0, "finish_reason": "stop", "logprobs": None,
                            "message": {"role": "assistant", "content": note}}]
    else:
        held.update(status="completed", output=[{
            "type": "message", "id": f"msg_{ticket_id}", "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": note, "annotations": []}]}],
            output_text=note)
    held["resguardo_review"] = ticket
    return held
