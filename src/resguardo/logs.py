"""Structured logs that never carry a personal value.

Every log line, ours or a library's (uvicorn's access log holds request paths),
passes through ``scrub`` before it is written. The patterns are deliberately
broad: a false positive costs a masked log field, a false negative a leak.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

__all__ = ["ScrubFilter", "configure_logging", "scrub", "scrub_processor"]

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[\w.+-]{1,64}(?:@|%40)[\w-]{1,63}(?:\.[\w-]{1,63})+", re.UNICODE)),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")),
    # Card numbers and long digit runs (phones, SSNs, accounts): 9+ digits with separators.
    ("NUMBER", re.compile(r"(?<![\w])\+?\d(?:[ .-]?\d){8,18}(?![\w])")),
    ("ES_ID", re.compile(r"\b[XYZxyz]?[-]?\d{7,8}[- ]?[A-Za-z]\b")),
    ("SECRET", re.compile(r"\b(?:sk|rsg|pk|ghp|xox[abp])[-_][A-Za-z0-9_-]{12,}\b")),
    ("BEARER", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}")),
)


def scrub(text: str) -> str:
    """Replace anything that looks like a personal value or secret with ``[TYPE]``."""
    for name, pattern in _PATTERNS:
        text = pattern.sub(f"[{name}]", text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_value(v) for v in value]
    return value


def scrub_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: scrub every string field, the event text included."""
    event_dict.pop("color_message", None)  # uvicorn's ANSI duplicate of the message
    for key, value in list(event_dict.items()):
        event_dict[key] = _scrub_value(value)
    return event_dict


class ScrubFilter(logging.Filter):
    """A stdlib filter that rewrites a record's message with ``scrub`` applied."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            return True  # a structlog event: scrub_processor has already run over it
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string must not become a crash
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info:
            # Tracebacks can quote request data; keep the class name only.
            exc = record.exc_info[1]
            record.msg += f" [{type(exc).__name__}]"
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str = "info", *, json: bool = True, stream: Any = None) -> None:
    """Route stdlib and structlog output through the scrubber to one handler."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            scrub_processor,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), scrub_processor],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiosqlite's debug trace prints every statement's bound parameters (lookup values,
    # password hashes, ciphertext) where the scrubber cannot know them: never below INFO.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
        lg.disabled = False  # a previous dictConfig may have disabled it
        lg.setLevel(logging.NOTSET)
