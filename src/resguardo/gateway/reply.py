"""Reply side: restore tokens in every string of an answer, and catch personal data the caller
never sent (masked or refused, per the workflow's ``reply_scan``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from resguardo.detect.types import Detector, Finding
from resguardo.errors import DetectionFailed, PolicyDenied
from resguardo.vault.tokens import TokenMap

__all__ = ["ReplyScanGuard", "restore_json"]

# Provider-generated enum and id fields: not free text, left as they are.
_OPAQUE_KEYS = frozenset({"id", "object", "role", "finish_reason", "type", "status", "model",
                          "system_fingerprint", "service_tier", "call_id", "item_id",
                          "tool_call_id", "encoding_format"})


class ReplyScanGuard:
    """Implements ``ReplyGuard``: new personal data in a reply is masked or blocks the reply."""

    def __init__(
        self,
        detector: Detector,
        tmap: TokenMap,
        mode: Literal["mask", "block"],
        *,
        workflow: str,
    ) -> None:
        self._detector = detector
        self._tmap = tmap
        self._mode = mode
        self._workflow = workflow
        self.holdback = int(getattr(detector, "max_entity_length", 64))
        self.masked: dict[str, int] = {}

    def findings(self, text: str) -> list[Finding]:
        """Findings that are not this scope's own tokens or surrogates."""
        try:
            found = self._detector.analyze(text)
        except Exception:
            raise DetectionFailed() from None
        if not found or not self._tmap:
            return found
        ours = [(m.start(), m.end()) for m in self._tmap.pattern().finditer(text)
                if self._resolves(m.group(0))]
        if not ours:
            return found
        return [f for f in found if not any(s < f.end and f.start < e for s, e in ours)]

    def _resolves(self, text: str) -> bool:
        return self._tmap.restore(text) != text or self._tmap.is_replacement(text)

    def apply(self, text: str, findings: Sequence[Finding]) -> str:
        """Mask the findings, or refuse the reply when the workflow blocks such replies."""
        if self._mode == "block":
            # Name the kinds only: the values themselves must not travel in the error.
            raise PolicyDenied(
                "The reply contained personal data the caller did not send.",
                code="reply_blocked",
                details={"workflow": self._workflow,
                         "entity_types": sorted({f.type for f in findings})},
            )
        parts: list[str] = []
        last = 0
        for f in findings:
            if f.start < last:
                continue
            parts.append(text[last : f.start])
            parts.append(f"[{f.type}_REDACTED]")
            self.masked[f.type] = self.masked.get(f.type, 0) + 1
            last = f.end
        parts.append(text[last:])
        return "".join(parts)


def _restore_str(text: str, tmap: TokenMap, guard: ReplyScanGuard | None, escape: bool) -> str:
    if guard is not None and text:
        found = guard.findings(text)
        if found:
            text = guard.apply(text, found)
    return tmap.restore(text, escape=escape) if tmap else text


def restore_json(
    obj: Any,
    tmap: TokenMap,
    guard: ReplyScanGuard | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> Any:
    """Restore (and scan) every string under ``obj`` in place; returns ``obj``.

    ``arguments`` strings (tool calls) hold JSON: values are JSON-escaped as they go back in.
    """
    if not tmap and guard is None:
        return obj
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, str):
                if key not in _OPAQUE_KEYS and key not in skip:
                    obj[key] = _restore_str(value, tmap, guard, key == "arguments")
            elif isinstance(value, dict | list):
                restore_json(value, tmap, guard, skip=skip)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            if isinstance(value, str):
                obj[i] = _restore_str(value, tmap, guard, False)
            elif isinstance(value, dict | list):
                restore_json(value, tmap, guard, skip=skip)
    return obj
