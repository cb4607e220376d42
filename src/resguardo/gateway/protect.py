"""``/v1/protect`` and ``/v1/restore`` for callers that are not LLM clients (an n8n HTTP node).

Protect takes text or JSON, drops the fields the workflow may not send, replaces personal
values by tokens and keeps the token map in a session for the policy's TTL. Restore puts the
values back, only for the workflow (and environment) that created the session.
"""

from __future__ import annotations

from typing import Any

from resguardo.auth.principal import Principal
from resguardo.errors import InputError, NotFound, PolicyDenied, ResguardoError
from resguardo.gateway.decide import check_endpoint, workflow_of
from resguardo.gateway.observe import outcome_of
from resguardo.gateway.pipeline import Gateway
from resguardo.gateway.reply import restore_json
from resguardo.gateway.scan import RequestScanner, parse_known
from resguardo.gateway.sessions import SessionStore, new_session_id
from resguardo.policy.schema import Workflow
from resguardo.vault.tokens import TokenMap

__all__ = ["ProtectService", "minimize"]

Json = dict[str, Any]


def minimize(data: Any, allowed: tuple[str, ...] | None, prefix: str = "") -> tuple[Any, list[str]]:
    """Drop object fields not in the workflow's allowlist (dotted paths); returns the dropped.

    ``None`` means no allowlist. A listed parent keeps its whole subtree; list items share
    their parent's path.
    """
    if allowed is None:
        return data, []
    dropped: list[str] = []
    if isinstance(data, dict):
        kept: Json = {}
        for key, value in data.items():
            path = f"{prefix}{key}"
            if path in allowed:
                kept[key] = value
            elif any(a.startswith(path + ".") for a in allowed):
                kept[key], more = minimize(value, allowed, path + ".")
                dropped.extend(more)
            else:
                dropped.append(path)  # field names only: they are schema, not values
        return kept, dropped
    if isinstance(data, list):
        out = []
        for item in data:
            value, more = minimize(item, allowed, prefix)
            out.append(value)
            dropped.extend(more)
        return out, sorted(set(dropped))
    return data, dropped


class ProtectService:
    """Protect and restore, backed by a ``SessionStore``."""

    def __init__(self, gateway: Gateway, sessions: SessionStore) -> None:
        self.gateway = gateway
        self.sessions = sessions

    @staticmethod
    def _scope(principal: Principal) -> str:
        # Sessions resolve for the workflow and environment that minted them, nothing else.
        return f"{principal.workflow_id}:{principal.environment}"

    async def _load(self, principal: Principal, workflow: Workflow, session_id: Any) -> TokenMap:
        if not isinstance(session_id, str) or not session_id:
            raise InputError("session_id is required.", code="invalid_request")
        stored = await self.sessions.load(session_id, self._scope(principal))
        if stored is None:
            raise NotFound("Unknown or expired session.", code="session_not_found")
        factory = self.gateway.new_map(workflow).surrogates
        return TokenMap.from_dict(stored.data, factory)

    def _report(self, principal: Principal, endpoint: str, started: float, outcome: str,
                entities: dict[str, int], error: ResguardoError | None = None) -> None:
        gw = self.gateway
        gw.reporter.report(principal, principal.workflow_id, endpoint, outcome,
                           gw.clock.monotonic() - started, entities=entities, error=error)

    async def protect(self, principal: Principal, body: Json, known_header: str | None) -> Json:
        """Pseudonymize ``text`` or ``data``; returns tokens and the session that restores them."""
        started = self.gateway.clock.monotonic()
        seen: dict[str, int] = {}
        try:
            out = await self._protect(principal, body, known_header, seen)
        except ResguardoError as exc:
            self._report(principal, "protect", started, outcome_of(exc), seen, exc)
            raise
        self._report(principal, "protect", started,
                     "masked" if sum(seen.values()) else "forwarded", seen)
        return out

    async def _protect(self, principal: Principal, body: Json, known_header: str | None,
                       seen: dict[str, int]) -> Json:
        workflow = workflow_of(self.gateway.policy, principal)
        check_endpoint(workflow, principal, "protect")
        has_text, has_data = isinstance(body.get("text"), str), "data" in body
        if has_text == has_data:
            raise InputError("Send exactly one of 'text' (string) or 'data' (JSON).")
        known = parse_known(known_header, body)
        session_id = body.get("session_id")
        if session_id is not None:
            tmap = await self._load(principal, workflow, session_id)
        else:
            session_id, tmap = new_session_id(), self.gateway.new_map(workflow)
        dropped: list[str] = []
        payload: Any
        if has_text:
            payload = {"text": body["text"]}
        else:
            data, dropped = minimize(body["data"], workflow.fields)
            payload = {"data": data}
        before = dict(tmap.counts)
        scanner = RequestScanner(self.gateway.detector, tmap, known, skip_keys=frozenset())
        scanner.collect(payload)
        if self.gateway.reporter.active:
            seen.update(self.gateway.reporter.by_category(scanner.type_counts().items()))
        try:
            await self.gateway.check_isolation(principal, scanner, known, session_id)
        except PolicyDenied as denied:
            await self.gateway.record(
                "gateway.protect", "blocked", principal, workflow,
                {"reason": denied.code, "purpose": workflow.purpose})
            raise
        categories = sorted({self.gateway.policy.category_of(t) for t in scanner.types})
        scanner.apply()
        counts = {k: v - before.get(k, 0) for k, v in tmap.counts.items() if v - before.get(k, 0)}
        expires = await self.sessions.save(session_id, self._scope(principal), tmap.to_dict(),
                                           self.gateway.policy.session_ttl_seconds)
        # A count, not the names: a caller's keys may be values (a map keyed by email).
        await self.gateway.record(
            "gateway.protect", "masked" if counts else "forwarded", principal, workflow,
            {"categories": categories, "entity_counts": counts,
             "dropped_field_count": len(dropped), "purpose": workflow.purpose})
        out: Json = dict(payload)
        out.update(session_id=session_id, expires_at=expires.isoformat(),
                   entities=tmap.entries(), dropped_fields=dropped)
        return out

    async def restore(self, principal: Principal, body: Json) -> Json:
        """Put a session's values back into ``text`` or ``data``."""
        started = self.gateway.clock.monotonic()
        try:
            out = await self._restore(principal, body)
        except ResguardoError as exc:
            self._report(principal, "restore", started, outcome_of(exc), {}, exc)
            raise
        self._report(principal, "restore", started, "ok", {})
        return out

    async def _restore(self, principal: Principal, body: Json) -> Json:
        workflow = workflow_of(self.gateway.policy, principal)
        check_endpoint(workflow, principal, "restore")
        has_text, has_data = isinstance(body.get("text"), str), "data" in body
        if has_text == has_data:
            raise InputError("Send exactly one of 'text' (string) or 'data' (JSON).")
        tmap = await self._load(principal, workflow, body.get("session_id"))
        payload: Json = {"text": body["text"]} if has_text else {"data": body["data"]}
        restore_json(payload, tmap)
        await self.gateway.record("gateway.restore", "success", principal, workflow,
                                  {"tokens": len(tmap)})
        return payload
