"""See through simple encodings a value may travel in: percent-encoding (``juan%40x.es``)."""

from __future__ import annotations

import re

__all__ = ["has_percent_encoding", "percent_decode"]

_PCT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def has_percent_encoding(text: str) -> bool:
    """True when ``text`` contains at least one ``%XX`` escape."""
    return "%" in text and _PCT_RUN.search(text) is not None


def percent_decode(text: str) -> tuple[str, list[int]]:
    """The decoded text and, for each decoded position (plus the end), its offset in ``text``.

    ``+`` reads as a space (form encoding). Invalid UTF-8 bytes decode to one character each,
    so offsets always map back exactly.
    """
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _PCT_RUN.finditer(text):
        for i in range(pos, m.start()):
            out.append(" " if text[i] == "+" else text[i])
            offsets.append(i)
        raw = bytes.fromhex(m.group().replace("%", ""))
        decoded = raw.decode("utf-8", "surrogateescape")
        at = m.start()
        for ch in decoded:
            out.append(ch)
            offsets.append(at)
            at += 3 * len(ch.encode("utf-8", "surrogateescape"))
        pos = m.end()
    for i in range(pos, len(text)):
        out.append(" " if text[i] == "+" else text[i])
        offsets.append(i)
    offsets.append(len(text))
    return "".join(out), offsets
