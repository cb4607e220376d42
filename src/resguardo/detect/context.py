"""Context words (es/en) that raise or lower a candidate's score, and per-type thresholds."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from resguardo.detect._text import fold
from resguardo.detect.types import Finding

__all__ = ["DEFAULT_THRESHOLDS", "WINDOW", "apply_context", "context_pattern"]

WINDOW = 48  # characters before a candidate that we read for context
NEAR = 16  # lowering words must be this close: "pedido nº 600…", not a word a line earlier

_RAISE: dict[str, str] = {
    "PHONE": r"tel[eé]?f?o?n?o?|tlf|telf|m[oó]vil|phone|mobile|cell|llam|call|whatsapp|fax|contact",
    "ES_NSS": r"nss|n\.?a\.?s\.?s|seguridad social|social security|afiliaci[oó]n|naf",
    "US_SSN": r"ssn|social security",
    "NATIONAL_ID": (
        r"\bid\b|identi|national|personal|nacional|bsn|pesel|nir\b|cnp|egn|oib|amka|"
        r"codice fiscale|personnummer|cpr|hetu|steuer|pps|asmens|isikukood|documento"
    ),
    "LICENSE_PLATE": r"matr[ií]cula|plate|coche|veh[ií]culo|car\b|registration",
    "LOCATION": (
        r"domicilio|reside|residente|vive|natural de|nacid[oa] en|localidad|provincia|"
        r"pa[ií]s|nacionalidad|born in|lives in|from|address|direcci[oó]n|procedente"
    ),
    "PERSON": (
        r"llam[oóa]|habl[oóé]|cliente|customer|contact|se[ñn]or|se[ñn]ora|paciente|"
        r"patient|firmado|signed|atendi|attended|spoke|said|dijo|coment"
    ),
    "ADDRESS": (
        r"calle|c/|avda|avenida|domicilio|s/n|n[º°]|\bcp\b|c\.p|direcci|address|paseo|plaza|"
        r"carrer|ctra|piso|puerta|\d[º°]|apartado|postal"
    ),
    "BANK_ACCOUNT": r"cuenta|account|ccc|transferencia|transfer|banco|bank",
    "AGE": r"edad|age|años|years",
    "DATE": r"fecha|date|el d[ií]a|on\b",
}
_LOWER: dict[str, str] = {
    "PHONE": (
        r"pedido|order|factura|invoice|ref|referencia|importe|amount|total|n[ºo°] de cliente|"
        r"expediente|ticket|tracking|seguimiento|albar[aá]n|iva|vat|€|eur|\$"
    ),
    "CREDIT_CARD": r"pedido|order|ref|referencia|tracking|seguimiento|isbn|ean",
    "DATE": r"factura|invoice|vencimiento|due|emisi[oó]n|pedido|order|entrega|delivery",
    "LICENSE_PLATE": r"pedido|order|ref|c[oó]digo|code|modelo|model|sku",
}
_RAISE_RE = {t: re.compile(p) for t, p in _RAISE.items()}


def context_pattern(entity_type: str) -> re.Pattern[str]:
    """The compiled raising-context pattern of a type (searched in folded text)."""
    return _RAISE_RE[entity_type]
_LOWER_RE = {t: re.compile(p) for t, p in _LOWER.items()}

# Minimum score to report, per type; anything not listed uses "default".
DEFAULT_THRESHOLDS: Mapping[str, float] = {
    "default": 0.5,
    "PERSON": 0.55,
    "LOCATION": 0.5,
    "NATIONAL_ID": 0.5,
    "US_SSN": 0.5,
    "LICENSE_PLATE": 0.5,
    "AGE": 0.5,
}


def apply_context(
    text: str,
    findings: Iterable[Finding],
    thresholds: Mapping[str, float],
    *,
    folded: str | None = None,
) -> list[Finding]:
    """Adjust each score by nearby words and drop findings under their type's threshold."""
    if folded is None:
        folded = fold(text)
    default = thresholds.get("default", 0.5)
    out: list[Finding] = []
    for f in findings:
        score = f.score
        up, down = _RAISE_RE.get(f.type), _LOWER_RE.get(f.type)
        if (up or down) and score < 0.99:
            window = folded[max(0, f.start - WINDOW) : f.start]
            if up is not None and up.search(window):
                score = min(0.99, score + 0.3)
            elif down is not None and down.search(window, max(0, len(window) - NEAR)):
                score = max(0.0, score - 0.4)
        if score >= thresholds.get(f.type, default):
            # Direct construction: dataclasses.replace costs ~5x more, on a hot path.
            out.append(f if score == f.score
                       else Finding(f.start, f.end, f.type, round(score, 3), f.source))
    return out
