"""Drafts for a breach: the notification to the AEPD (Art. 33(3)) and the notice to data
subjects (Art. 34(2)), in Spanish, as Markdown or HTML.

They are drafts to be completed by the DPO: everything Resguardo knows (dates, categories,
approximate numbers, measures) is filled in; what only people know is marked ``[COMPLETAR]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from resguardo.governance.incidents import Incident
from resguardo.policy.schema import Policy

__all__ = ["Document", "aepd_notification", "subject_notice"]

TODO = "[COMPLETAR]"
_NATURE = {"confidentiality": "confidencialidad", "integrity": "integridad",
           "availability": "disponibilidad"}
_CATEGORY = {"personal": "datos identificativos y de contacto", "financial": "datos "
             "económicos y financieros", "special": "categorías especiales (art. 9 RGPD: "
             "salud, biométricos…)", "communications": "comunicaciones (correos, llamadas, "
             "chats)", "confidential": "información confidencial de negocio",
             "operational": "datos operativos"}
_RISK = {"unassessed": "sin evaluar", "unlikely": "improbable que entrañe un riesgo",
         "risk": "riesgo para los derechos y libertades", "high": "alto riesgo"}


@dataclass
class Document:
    """A titled list of sections, each a heading with paragraphs and bullet lists."""

    title: str
    sections: list[tuple[str, list[str | list[str]]]] = field(default_factory=list)

    def add(self, heading: str, *blocks: str | list[str]) -> None:
        """Append a section."""
        self.sections.append((heading, list(blocks)))

    def to_markdown(self) -> str:
        """Markdown text."""
        out = [f"# {self.title}", ""]
        for heading, blocks in self.sections:
            out += [f"## {heading}", ""]
            for block in blocks:
                out += ([f"- {item}" for item in block] if isinstance(block, list) else [block])
                out.append("")
        return "\n".join(out)

    def to_html(self) -> str:
        """A self-contained, escaped HTML page."""
        out = ['<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">',
               f"<title>{escape(self.title)}</title><style>body{{font-family:system-ui,"
               "sans-serif;max-width:800px;margin:2rem auto;line-height:1.5}h2{border-bottom:"
               "1px solid #ccc}</style></head><body>", f"<h1>{escape(self.title)}</h1>"]
        for heading, blocks in self.sections:
            out.append(f"<h2>{escape(heading)}</h2>")
            for block in blocks:
                if isinstance(block, list):
                    out.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block)
                               + "</ul>")
                else:
                    out.append(f"<p>{escape(block)}</p>")
        out.append("</body></html>")
        return "\n".join(out)


def _when(v: Any) -> str:
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y %H:%M UTC")
    return TODO


def _categories(impact: dict[str, Any]) -> list[str]:
    cats = impact.get("categories") or {}
    return [f"{_CATEGORY.get(c, c)} ({c})" for c in sorted(cats)] or [TODO]


def aepd_notification(incident: Incident, policy: Policy) -> Document:
    """Draft of the Art. 33 notification to the supervisory authority."""
    r = incident.row
    impact: dict[str, Any] = r.get("impact") or {}
    c = policy.controller
    late = r["authority_status"] == "pending" and incident.now >= r["deadline_at"]
    doc = Document(f"Notificación de brecha de datos personales — {r['id']} (borrador)")
    doc.add("1. Responsable del tratamiento", [
        f"Responsable: {c.name}", f"Contacto: {c.contact}",
        f"Delegado de protección de datos: {c.dpo or TODO}",
        f"Autoridad de control: {c.supervisory_authority}"])
    doc.add("2. Cronología", [
        f"Detección de la brecha: {_when(r['discovered_at'])}",
        f"Inicio de la brecha: {_when(_parse(impact.get('first_at')))}",
        f"Último evento registrado: {_when(_parse(impact.get('last_at')))}",
        f"Plazo de notificación (art. 33.1, {policy.breach_deadline_hours} horas): "
        f"{_when(r['deadline_at'])}"])
    if late:
        doc.add("Motivo de la notificación fuera de plazo (art. 33.1)", TODO)
    doc.add("3. Naturaleza de la brecha",
            "Tipo: brecha de " + ", ".join(_NATURE.get(n, n) for n in r["nature"].split(","))
            + ".", f"Resumen: {r['title']}", r.get("description") or TODO)
    doc.add("4. Datos y personas afectadas (art. 33.3.a)",
            "Categorías de datos personales afectadas:", _categories(impact),
            f"Número aproximado de interesados afectados: {impact.get('subjects_approx', TODO)}"
            f" (método: recuento de identificadores seudonimizados en el registro de auditoría "
            "y estimación máxima para las solicitudes sin identificador).",
            f"Número aproximado de registros afectados: {impact.get('events', TODO)} eventos, "
            f"{impact.get('requests', 0)} solicitudes a modelos de IA.",
            "Categorías de interesados: " + (", ".join(sorted({
                s for w in impact.get("workflows", []) if (wf := policy.workflow(w))
                for s in wf.data_subjects})) or TODO) + ".")
    doc.add("5. Consecuencias probables (art. 33.3.c)",
            f"Nivel de riesgo evaluado: {_RISK.get(r['risk'], r['risk'])}.", TODO)
    measures = [f"{m['at'][:16].replace('T', ' ')} — {m['text']}" for m in r["measures"]]
    done = [t["label"] for t in r["tasks"] if t["status"] == "done"]
    doc.add("6. Medidas adoptadas o propuestas (art. 33.3.d)", done + measures or [TODO])
    doc.add("7. Comunicación a los interesados (art. 34)",
            {"pending": "Pendiente de decisión.", "notified": "Comunicada a los interesados.",
             "not_required": "No requerida (el riesgo no es alto)."}.get(
                r["subjects_status"], TODO))
    ev = r.get("evidence") or {}
    if ev:
        doc.add("Anexo: evidencias conservadas", [
            f"Exportación del registro de auditoría: {ev.get('events')} eventos, SHA-256 "
            f"{ev.get('sha256')}",
            "Punto de control firmado: " + ("sí" if ev.get("checkpoint") else "no")])
    return doc


def _parse(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if isinstance(v, str) else None


def subject_notice(incident: Incident, policy: Policy) -> Document:
    """Draft of the Art. 34 communication to data subjects, in clear and plain language."""
    r = incident.row
    impact: dict[str, Any] = r.get("impact") or {}
    c = policy.controller
    doc = Document(f"Aviso sobre un incidente de seguridad que afecta a sus datos — {c.name}")
    doc.add("Qué ha ocurrido",
            f"El {_when(r['discovered_at'])} detectamos un incidente de seguridad que puede "
            "haber afectado a sus datos personales.", r.get("description") or TODO)
    doc.add("Qué datos pueden estar afectados", _categories(impact))
    doc.add("Qué consecuencias puede tener", TODO)
    measures = [m["text"] for m in r["measures"]] or [TODO]
    doc.add("Qué hemos hecho", measures)
    doc.add("Qué le recomendamos", [
        "Desconfíe de correos, SMS o llamadas que le pidan datos o pagos en nuestro nombre.",
        TODO])
    doc.add("Contacto", f"Puede dirigirse a nuestro delegado de protección de datos en "
            f"{c.dpo or c.contact}. También tiene derecho a presentar una reclamación ante la "
            f"{c.supervisory_authority} (www.aepd.es).")
    return doc
