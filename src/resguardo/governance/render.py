"""Render the records of processing as HTML (printable, self-contained), Markdown, CSV, JSON.

Every value from the policy is escaped for its format: HTML-escaped in HTML, pipes escaped
in Markdown tables, and spreadsheet formulas neutralized in CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from html import escape
from typing import Literal

from resguardo.governance.datamap import DataMap, render_svg
from resguardo.governance.ropa import Ropa, RopaRecord

__all__ = ["CSV_COLUMNS", "Format", "render_ropa"]

Format = Literal["html", "md", "csv", "json"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:2rem;
line-height:1.45;max-width:1100px}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2rem;
margin-top:2rem}h3{margin-bottom:.3rem}.meta{color:#57606a}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top;
font-size:.9rem}th{background:#f6f8fa;width:24%}
.warn{color:#b42318;font-weight:600}.ok{color:#1a7f37}.tag{display:inline-block;
padding:0 .4rem;border-radius:4px;background:#eef1f4;margin:0 .2rem .2rem 0}
.map{overflow-x:auto;border:1px solid #d0d7de;padding:.5rem}
@media print{body{margin:0;max-width:none}.record{page-break-inside:avoid}
h2{page-break-after:avoid}.map svg{max-width:100%;height:auto}}
"""

CSV_COLUMNS = (
    "workflow", "purpose", "legal_basis", "art9_condition", "data_subjects", "categories",
    "observed_categories", "recipients", "international_transfers", "retention",
    "security_measures", "automated_decision", "human_review", "dpia", "drift",
)


def _join(items: Iterable[str]) -> str:
    return "; ".join(items)


def _recipients(r: RopaRecord) -> list[str]:
    return [f"{x.provider} ({x.tier}, {x.country}{'/' + x.region if x.region else ''})"
            for x in r.recipients]


def _transfers(r: RopaRecord) -> list[str]:
    return [f"{x.provider} → {x.country}: {x.mechanism}" for x in r.recipients if not x.in_eea]


def _observed(r: RopaRecord) -> list[str]:
    return [f"{c} ({n})" for c, n in r.observed_categories.items()]


def _rows(r: RopaRecord) -> list[tuple[str, str, bool]]:
    """(label, text, warn) rows shared by the HTML and Markdown renderers."""
    decision = ("no" if not r.automated_decision else
                "yes, with human review" if r.human_review else "yes, WITHOUT human review")
    return [
        ("Purpose", r.purpose, False),
        ("Legal basis (Art. 6)", r.legal_basis or "MISSING", r.legal_basis is None),
        ("Art. 9 condition", r.art9_condition or "-", False),
        ("Data subjects", _join(r.data_subjects), False),
        ("Data categories (declared)", _join(r.categories) or "-", False),
        ("Data categories (observed)", _join(_observed(r)) or "none observed", bool(r.drift)),
        ("Recipients", _join(_recipients(r)) or "-", False),
        ("International transfers", _join(_transfers(r)) or "none", False),
        ("Retention", _join(r.retention), False),
        ("Security measures (Art. 32)", _join(r.security), False),
        ("Automated decision (Art. 22)", decision, r.automated_decision and not r.human_review),
        ("DPIA", r.dpia or "-", False),
        ("Requests observed", str(r.observed_requests), False),
    ]


def _html(ropa: Ropa, datamap: DataMap | None) -> str:
    c = ropa.controller
    window = (f"{ropa.since:%Y-%m-%d} – {ropa.until:%Y-%m-%d}" if ropa.since and ropa.until
              else "all history" if ropa.since is None and ropa.until is None else "partial")
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           f"<title>Records of processing — {escape(c['name'])}</title>",
           f"<style>{_CSS}</style></head><body>",
           "<h1>Records of processing activities (GDPR Art. 30)</h1>",
           f'<p class="meta">Generated {ropa.generated_at:%Y-%m-%d %H:%M} UTC · observed '
           f"period: {escape(window)}</p>",
           "<h2>Controller</h2><table>",
           f"<tr><th>Name</th><td>{escape(c['name'])}</td></tr>",
           f"<tr><th>Contact</th><td>{escape(c['contact'])}</td></tr>",
           f"<tr><th>Data protection officer</th><td>{escape(c['dpo'] or '-')}</td></tr>",
           f"<tr><th>Supervisory authority</th><td>{escape(c['supervisory_authority'])} "
           f"({escape(c['country'])})</td></tr></table>"]
    if ropa.drift:
        out.append('<h2 class="warn">Drift: observed processing the policy does not declare</h2>'
                   "<ul>")
        out.extend(f'<li class="warn">{escape(d.message)}</li>' for d in ropa.drift)
        out.append("</ul>")
    if datamap is not None:
        out.append('<h2>Data map</h2><div class="map">'
                   f"{render_svg(datamap, 'Data map: ' + c['name'])}</div>")
    out.append("<h2>Processing activities</h2>")
    for r in ropa.records:
        out.append(f'<section class="record"><h3>{escape(r.workflow)}</h3>')
        if r.description:
            out.append(f'<p class="meta">{escape(r.description)}</p>')
        out.append("<table>")
        for label, text, warn in _rows(r):
            cls = ' class="warn"' if warn else ""
            out.append(f"<tr><th>{escape(label)}</th><td{cls}>{escape(text)}</td></tr>")
        out.append("</table></section>")
    out.append("<h2>International transfers (Art. 44-49)</h2>")
    if not ropa.transfers:
        out.append("<p>No provider outside the EEA.</p>")
    else:
        out.append("<table><tr><th>Provider</th><th>Country</th><th>Mechanism</th>"
                   "<th>May receive</th><th>Received (requests)</th></tr>")
        for t in ropa.transfers:
            cls = ' class="warn"' if t.unprotected else ""
            received = _join(f"{k} ({v})" for k, v in sorted(t.received.items())) or "-"
            out.append(f"<tr><td>{escape(t.provider)}</td><td>{escape(t.country)}</td>"
                       f"<td{cls}>{escape(t.to_dict()['mechanism_label'])}</td>"
                       f"<td>{escape(_join(t.allowed_categories) or '-')}</td>"
                       f"<td>{escape(received)}</td></tr>")
        out.append("</table>")
    out.append("<h2>DPIA screening (Art. 35, WP248, AEPD list)</h2><table><tr><th>Workflow"
               "</th><th>Verdict</th><th>Criteria met</th></tr>")
    for a in ropa.dpia:
        verdict = ("required — MISSING" if a.missing else f"required — {a.dpia}" if a.required
                   else "not required")
        cls = "warn" if a.missing else "ok"
        crit = "".join(f'<span class="tag">{escape(h.criterion)}</span>' for h in a.hits)
        out.append(f"<tr><td>{escape(a.workflow)}</td><td class=\"{cls}\">{escape(verdict)}"
                   f"</td><td>{crit or '-'}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(ropa: Ropa) -> str:
    c = ropa.controller
    out = ["# Records of processing activities (GDPR Art. 30)", "",
           f"Generated {ropa.generated_at:%Y-%m-%d %H:%M} UTC.", "",
           "## Controller", "",
           f"- Name: {c['name']}", f"- Contact: {c['contact']}",
           f"- Data protection officer: {c['dpo'] or '-'}",
           f"- Supervisory authority: {c['supervisory_authority']} ({c['country']})", ""]
    if ropa.drift:
        out += ["## Drift", ""] + [f"- **{d.message}**" for d in ropa.drift] + [""]
    for r in ropa.records:
        out += [f"## {r.workflow}", "", "| Field | Value |", "|---|---|"]
        out += [f"| {label} | {_md_cell(text)} |" for label, text, _ in _rows(r)]
        out.append("")
    out += ["## International transfers", ""]
    out += [f"- {t.provider} ({t.country}): {t.to_dict()['mechanism_label']}; may receive "
            f"{_join(t.allowed_categories) or '-'}; received "
            f"{_join(sorted(t.received)) or '-'}" for t in ropa.transfers] or ["- none"]
    out += ["", "## DPIA screening", ""]
    out += [f"- {a.workflow}: {'required' if a.required else 'not required'}"
            f"{' — MISSING' if a.missing else ''} ({', '.join(a.criteria) or 'no criteria'})"
            for a in ropa.dpia]
    return "\n".join(out) + "\n"


def _safe(text: str) -> str:
    # A leading = + - @ would run as a formula in a spreadsheet: neutralize it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(ropa: Ropa) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in ropa.records:
        writer.writerow([_safe(v) for v in (
            r.workflow, r.purpose, r.legal_basis or "", r.art9_condition or "",
            _join(r.data_subjects), _join(r.categories), _join(_observed(r)),
            _join(_recipients(r)), _join(_transfers(r)), _join(r.retention),
            _join(r.security), "yes" if r.automated_decision else "no",
            "yes" if r.human_review else "no", r.dpia or "", _join(d.message for d in r.drift),
        )])
    return buf.getvalue()


def render_ropa(ropa: Ropa, fmt: Format, datamap: DataMap | None = None) -> str:
    """The register in one format; HTML embeds the data map when given."""
    if fmt == "html":
        return _html(ropa, datamap)
    if fmt == "md":
        return _markdown(ropa)
    if fmt == "csv":
        return _csv(ropa)
    payload = ropa.to_dict()
    if datamap is not None:
        payload["datamap"] = datamap.to_dict()
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
