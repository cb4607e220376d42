"""The gateway pipeline for the OpenAI-compatible endpoints.

authenticate (http layer) → minimize → detect → classify → decide → pseudonymize → audit the
decision → forward (with fallback) → restore → post-scan → audit the result → release.
Every step before forwarding fails closed: on any error nothing leaves. Each request is then
reported once to the metrics and, off the request path, to anomaly detection (observe.py).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from resguardo.audit.events import AuditEvent, AuditSink
from resguardo.auth.principal import Principal
from resguardo.clock import Clock
from resguardo.detect.types import Detector
from resguardo.errors import (
    AuditWriteFailed,
    InputError,
    PolicyDenied,
    ResguardoError,
)
from resguardo.gateway.decide import Target, check_endpoint, listable_models, plan, workflow_of
from resguardo.gateway.held import held_reply
from resguardo.gateway.observe import AnomalyFeed, AnomalyObserver, RequestReporter, outcome_of
from resguardo.gateway.ports import LiveDataGuard, ReviewHold
from resguardo.gateway.reply import ReplyScanGuard, restore_json
from resguardo.gateway.scan import RequestScanner, parse_known
from resguardo.gateway.streams import (
    DONE,
    ChatStream,
    ResponsesStream,
    chat_sse,
    chat_sse_error,
    responses_sse,
)
from resguardo.monitor.metrics import Metrics
from resguardo.policy.schema import Policy, Workflow
from resguardo.providers.base import Credentials, Endpoint, ProviderAdapter, is_retryable
from resguardo.vault.tokens import SurrogateFactory, TokenMap

__all__ = ["REVIEW_CALLBACK_HEADER", "SUBJECT_TYPES", "Gateway", "Prepared"]

# Identifiers that point at one data subject: their keyed hashes go on the decision event,
# so a DPO finds a subject's requests (and a breach its subjects) without the value.
SUBJECT_TYPES = frozenset({"EMAIL", "PHONE", "ES_DNI", "ES_NIE", "ES_NSS", "NATIONAL_ID",
                           "PASSPORT", "US_SSN", "IBAN", "CREDIT_CARD"})
_MAX_SUBJECT_HASHES = 64

# Where an automation (an n8n Wait node's resume URL) wants the review outcome posted.
REVIEW_CALLBACK_HEADER = "x-resguardo-review-callback"

Json = dict[str, Any]
_ENDPOINT_NAMES: dict[Endpoint, str] = {
    "chat": "chat.completions", "responses": "responses", "embeddings": "embeddings"}


@dataclass
class Prepared:
    """A request that passed the checks: pseudonymized body, token map and where it may go."""

    principal: Principal
    workflow: Workflow
    endpoint: Endpoint
    body: Json
    tmap: TokenMap
    targets: list[Target]
    categories: list[str]
    counts: dict[str, int]
    request_id: str
    started: float
    stream: bool = False
    provider_used: str | None = None
    fallbacks: int = 0
    guard: ReplyScanGuard | None = field(default=None)
    review_callback: str | None = None
    entities: dict[str, int] = field(default_factory=dict)  # per data category, for metrics
    model_used: str | None = None


class Gateway:
    """The OpenAI-compatible gateway's behaviour, independent of the web framework."""

    def __init__(
        self,
        *,
        policy: Policy,
        detector: Detector,
        adapters: Mapping[str, ProviderAdapter],
        credentials: Credentials,
        audit: AuditSink,
        clock: Clock,
        surrogates: Callable[[], SurrogateFactory] | None = None,
        live_guard: LiveDataGuard | None = None,
        reviews: ReviewHold | None = None,
        metrics: Metrics | None = None,
        anomaly: AnomalyObserver | None = None,
        anomaly_queue: int = 1000,
        subject_hasher: Callable[[str, str], str] | None = None,
    ) -> None:
        self.policy = policy
        self.detector = detector
        self.adapters = dict(adapters)
        self.credentials = credentials
        self.audit = audit
        self.clock = clock
        self.surrogates = surrogates
        self.live_guard = live_guard
        self.reviews = reviews
        self.subject_hasher = subject_hasher
        feed = AnomalyFeed(anomaly, maxsize=anomaly_queue, metrics=metrics) if anomaly else None
        self.reporter = RequestReporter(policy, metrics, feed)

    async def aclose(self) -> None:
        """Let queued anomaly observations finish, then stop their task."""
        if self.reporter.feed is not None:
            await self.reporter.feed.aclose()

    # ---- shared steps -------------------------------------------------------------------

    def new_map(self, workflow: Workflow) -> TokenMap:
        """A fresh token map for this workflow's pseudonymization mode."""
        factory = self.surrogates() if (
            self.surrogates is not None and workflow.pseudonymization == "surrogates") else None
        return TokenMap(surrogates=factory)

    async def record(self, kind: str, outcome: str, principal: Principal, workflow: Workflow,
                     data: Json, subjects: tuple[str, ...] = ()) -> None:
        """Write one audit event; a failed write is AuditWriteFailed (503, fail closed)."""
        event = AuditEvent(
            kind=kind, outcome=outcome, actor=principal.key_id, workflow=workflow.id,
            environment=principal.environment, source_ip=principal.source_ip, data=data,
            at=self.clock.now(), subject_hashes=subjects,
        )
        try:
            await self.audit.record(event)
        except AuditWriteFailed:
            raise
        except Exception:
            raise AuditWriteFailed() from None

    def subject_hashes(self, values: list[tuple[str, str]]) -> tuple[str, ...]:
        """Keyed hashes of the direct identifiers among (type, value) pairs, deduplicated."""
        if self.subject_hasher is None:
            return ()
        try:
            hashes = {self.subject_hasher(value, kind) for kind, value in values
                      if kind in SUBJECT_TYPES}
        except Exception:
            # Fail closed: the decision event must be complete or nothing is forwarded.
            raise AuditWriteFailed() from None
        return tuple(sorted(hashes))[:_MAX_SUBJECT_HASHES]

    def _base_data(self, p: Prepared) -> Json:
        return {"request_id": p.request_id, "endpoint": _ENDPOINT_NAMES[p.endpoint],
                "purpose": p.workflow.purpose,
                "legal_basis": str(p.workflow.legal_basis) if p.workflow.legal_basis else None,
                "categories": p.categories, "entity_counts": dict(p.counts),
                "stream": p.stream}

    async def check_isolation(
        self, principal: Principal, scanner: RequestScanner, known: list[Any], request_id: str
    ) -> None:
        """In test, refuse identifiers of live data subjects (raises PolicyDenied)."""
        if self.live_guard is None or principal.environment == "live":
            return
        values = scanner.values() + [(k.type, k.value) for k in known]
        if values:
            await self.live_guard.check(
                principal.environment, values, principal=principal, request_id=request_id
            )

    async def prepare(self, principal: Principal, endpoint: Endpoint, body: Json,
                      known_header: str | None, review_callback: str | None = None) -> Prepared:
        """Everything before forwarding; raises (and audits a block) when nothing may go."""
        started = self.clock.monotonic()
        seen: dict[str, int] = {}
        try:
            return await self._prepare(principal, endpoint, body, known_header,
                                       review_callback, started, seen)
        except ResguardoError as exc:
            self.reporter.report(principal, principal.workflow_id, _ENDPOINT_NAMES[endpoint],
                                 outcome_of(exc), self.clock.monotonic() - started,
                                 entities=seen, error=exc)
            raise

    async def _prepare(self, principal: Principal, endpoint: Endpoint, body: Json,
                       known_header: str | None, review_callback: str | None, started: float,
                       seen: dict[str, int]) -> Prepared:
        workflow = workflow_of(self.policy, principal)
        check_endpoint(workflow, principal, _ENDPOINT_NAMES[endpoint])
        if self._held_for_review(workflow) and body.get("stream"):
            # A held decision cannot be streamed: nothing may reach the automation before review.
            raise InputError(
                "This workflow's outputs are reviewed by a person first; send it without stream.",
                code="review_requires_no_stream",
            )
        known = parse_known(known_header, body)
        tmap = self.new_map(workflow)
        scanner = RequestScanner(self.detector, tmap, known)
        scanner.collect(body)
        categories = sorted({self.policy.category_of(t) for t in scanner.types})
        if self.reporter.active:
            seen.update(self.reporter.by_category(scanner.type_counts().items()))
        model = body.get("model")
        subjects = self.subject_hashes(scanner.values() + [(k.type, k.value) for k in known])
        prepared = Prepared(principal, workflow, endpoint, body, tmap, [], categories, {},
                            secrets.token_hex(12), started, stream=bool(body.get("stream")),
                            review_callback=review_callback, entities=seen)
        try:
            await self.check_isolation(principal, scanner, known, prepared.request_id)
            prepared.targets = plan(self.policy, principal, workflow, categories,
                                    model if isinstance(model, str) else None)
        except PolicyDenied as denied:
            data = self._base_data(prepared)
            data.update(reason=denied.details.get("reason", denied.code), action="blocked",
                        status=403)
            await self.record("gateway.request", "blocked", principal, workflow, data, subjects)
            raise
        scanner.apply()
        prepared.counts = dict(tmap.counts)
        if workflow.reply_scan != "off" and endpoint != "embeddings":
            prepared.guard = ReplyScanGuard(self.detector, tmap, workflow.reply_scan,
                                            workflow=workflow.id)
        data = self._base_data(prepared)
        data.update(action="masked" if tmap else "forwarded",
                    providers=[t.provider.id for t in prepared.targets])
        # The decision is on record before anything leaves: if it cannot be, nothing leaves.
        await self.record("gateway.request", "masked" if tmap else "forwarded", principal,
                          workflow, data, subjects)
        return prepared

    async def finish(self, p: Prepared, status: int, error: str | None = None) -> None:
        """Audit the result (provider, status, latency, reply masking) before release."""
        data: Json = {"request_id": p.request_id, "endpoint": _ENDPOINT_NAMES[p.endpoint],
                      "provider": p.provider_used, "status": status, "fallbacks": p.fallbacks,
                      "latency_ms": round((self.clock.monotonic() - p.started) * 1000, 3),
                      "reply_masked": dict(p.guard.masked) if p.guard else {}}
        if error:
            data["error"] = error
        await self.record("gateway.response", "success" if status < 400 else "failure",
                          p.principal, p.workflow, data)

    def _credential(self, p: Prepared, target: Target) -> str | None:
        # One upstream key per automation when the workflow has its own.
        return self.credentials.resolve(p.workflow.credential or target.provider.credential)

    def _body_for(self, p: Prepared, target: Target) -> Json:
        body = dict(p.body)
        if target.model:
            body["model"] = target.model
        return body

    # ---- non-streamed --------------------------------------------------------------------

    async def forward(self, p: Prepared) -> Json:
        """Send to the first target that answers; restore, scan and audit the answer."""
        last: ResguardoError | None = None
        for i, target in enumerate(p.targets):
            adapter = self.adapters[target.provider.id]
            try:
                reply = await adapter.call(p.endpoint, self._body_for(p, target),
                                           self._credential(p, target))
            except ResguardoError as exc:
                last = exc
                self.reporter.provider_error(target.provider.id, exc)
                if is_retryable(exc) and i + 1 < len(p.targets):
                    p.fallbacks += 1
                    continue
                p.provider_used = target.provider.id
                await self.finish(p, _status(exc), exc.code)
                raise
            p.provider_used, p.model_used = target.provider.id, target.model
            break
        else:  # pragma: no cover - the loop always breaks or raises
            raise last or InputError()
        if p.endpoint != "embeddings":
            try:
                restore_json(reply, p.tmap, p.guard)
            except PolicyDenied as exc:
                await self.finish(p, 403, exc.code)
                raise
        await self.finish(p, 200)
        if self._held_for_review(p.workflow) and p.endpoint != "embeddings":
            return await self._hold(p, reply)
        return reply

    def _held_for_review(self, workflow: Workflow) -> bool:
        return workflow.automated_decision and workflow.human_review

    async def _hold(self, p: Prepared, reply: Json) -> Json:
        """Art. 22: keep the model's decision in the review queue; the caller gets a ticket."""
        if self.reviews is None:
            # Fail closed: a decision that must be reviewed is never released unreviewed.
            raise PolicyDenied("Human review is required but the review queue is unavailable.",
                               code="review_unavailable", details={"workflow": p.workflow.id})
        ticket = await self.reviews.hold(p.workflow, p.principal, p.request_id, reply,
                                         p.review_callback)
        return held_reply(p.endpoint, reply, ticket.id, ticket.to_dict())

    async def handle(self, principal: Principal, endpoint: Endpoint, body: Json,
                     known_header: str | None,
                     review_callback: str | None = None) -> Json | AsyncIterator[bytes]:
        """One request to chat, responses or embeddings: a JSON answer or an SSE byte stream."""
        if endpoint == "embeddings":
            body.pop("stream", None)
        p = await self.prepare(principal, endpoint, body, known_header, review_callback)
        if not p.stream:
            try:
                reply = await self.forward(p)
            except ResguardoError as exc:
                self._report(p, exc)
                raise
            self._report(p)
            return reply
        # A stream is reported by _stream itself, when it ends (however it ends).
        stream = self._stream(p)
        # Prime the stream: connecting upstream and the first event happen now, so a failure
        # there is still a proper HTTP error (and another provider can be tried).
        first = await stream.__anext__()
        return _prepend(first, stream)

    def _report(self, p: Prepared, exc: ResguardoError | None = None) -> None:
        if not self.reporter.active:
            return
        outcome = outcome_of(exc) if exc is not None else "masked" if p.tmap else "forwarded"
        self.reporter.report(p.principal, p.workflow.id, _ENDPOINT_NAMES[p.endpoint], outcome,
                             self.clock.monotonic() - p.started, entities=p.entities,
                             error=exc, provider=p.provider_used, model=p.model_used)

    def models(self, principal: Principal) -> Json:
        """The model list this key may use."""
        started = self.clock.monotonic()
        try:
            workflow = workflow_of(self.policy, principal)
            check_endpoint(workflow, principal, "models")
        except ResguardoError as exc:
            self.reporter.report(principal, principal.workflow_id, "models", outcome_of(exc),
                                 self.clock.monotonic() - started, error=exc)
            raise
        out: Json = {"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "resguardo"}
            for name in listable_models(self.policy, principal, workflow)]}
        self.reporter.report(principal, workflow.id, "models", "ok",
                             self.clock.monotonic() - started)
        return out

    # ---- streamed ------------------------------------------------------------------------

    async def _open(self, p: Prepared, stack: AsyncExitStack) -> tuple[Json, AsyncIterator[Json]]:
        last: ResguardoError | None = None
        for i, target in enumerate(p.targets):
            adapter = self.adapters[target.provider.id]
            inner = AsyncExitStack()
            try:
                events = await inner.enter_async_context(
                    adapter.stream(p.endpoint, self._body_for(p, target),
                                   self._credential(p, target)))
                first = await events.__anext__()
            except (ResguardoError, StopAsyncIteration) as exc:
                await inner.aclose()
                err = exc if isinstance(exc, ResguardoError) else InputError(
                    "The AI provider sent an empty stream.", code="upstream_empty")
                last = err
                self.reporter.provider_error(target.provider.id, err)
                if is_retryable(err) and i + 1 < len(p.targets):
                    p.fallbacks += 1
                    continue
                p.provider_used = target.provider.id
                await self.finish(p, _status(err), err.code)
                raise err from None
            except BaseException:
                await inner.aclose()
                raise
            stack.push_async_callback(inner.aclose)
            p.provider_used, p.model_used = target.provider.id, target.model
            return first, events
        raise last or InputError()  # pragma: no cover

    async def _stream(self, p: Prepared) -> AsyncIterator[bytes]:
        chat = p.endpoint == "chat"
        proc: ChatStream | ResponsesStream = (
            ChatStream(p.tmap, p.guard) if chat else ResponsesStream(p.tmap, p.guard))
        encode = chat_sse if chat else responses_sse
        failure: ResguardoError | None = None
        try:
            async with AsyncExitStack() as stack:
                try:
                    first, events = await self._open(p, stack)
                except ResguardoError as exc:  # handle() turns it into an HTTP error
                    failure = exc
                    raise
                try:
                    for out in proc.process(first):
                        yield encode(out)
                    async for event in events:
                        for out in proc.process(event):
                            yield encode(out)
                    if isinstance(proc, ChatStream):
                        for out in proc.finish():
                            yield encode(out)
                except ResguardoError as exc:
                    # Mid-stream failure: end with a well-formed error event, never a value.
                    failure = exc
                    await self._finish_quietly(p, _status(exc), exc.code)
                    yield _error_event(chat, exc.code, exc.message)
                    return
                try:
                    await self.finish(p, 200)
                except AuditWriteFailed as exc:
                    failure = exc
                    yield _error_event(chat, exc.code, exc.message)
                    return
                if chat:
                    yield DONE
        finally:
            # Reported once, however the stream ends: completed, failed, or disconnected.
            self._report(p, failure)

    async def _finish_quietly(self, p: Prepared, status: int, code: str) -> None:
        # The stream ends in an error event either way.
        with contextlib.suppress(AuditWriteFailed):
            await self.finish(p, status, code)


def _status(exc: ResguardoError) -> int:
    from resguardo.http.errors import status_for  # pure mapping, no web framework

    return status_for(exc)


def _error_event(chat: bool, code: str, message: str) -> bytes:
    if chat:
        return chat_sse_error(code, message)
    return responses_sse({"type": "error", "code": code, "message": message, "param": None,
                          "sequence_number": 0})


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        yield first
        async for item in rest:
            yield item
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()
