"""Jinja2 rendering for the console: autoescaped templates and the few static assets."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["STATIC_TYPES", "Renderer", "qr_svg"]

_HERE = Path(__file__).parent
# Only these files are served from static/: no path from the URL ever reaches the disk.
STATIC_TYPES: Mapping[str, str] = {"console.css": "text/css; charset=utf-8"}


def _when(value: datetime | str | None) -> str:
    """A timestamp as ``2026-01-15 09:00 UTC`` (ISO strings are accepted too)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _yesno(value: object) -> str:
    return "yes" if value else "no"


class Renderer:
    """Renders console templates; autoescape is always on (every value is untrusted text)."""

    def __init__(self, templates: Path | None = None, static: Path | None = None) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates or _HERE / "templates")),
            autoescape=True,  # every page, whatever the file extension
            undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty cell
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = _when
        self.env.filters["yesno"] = _yesno
        self.static_dir = static or _HERE / "static"
        self._assets: dict[str, bytes] = {}

    def render(self, template: str, **context: Any) -> str:
        """The page as HTML text."""
        return self.env.get_template(template).render(**context)

    def asset(self, name: str) -> tuple[bytes, str] | None:
        """A static file's bytes and media type, or None when it is not on the allowlist."""
        media = STATIC_TYPES.get(name)
        if media is None:
            return None
        if name not in self._assets:
            self._assets[name] = (self.static_dir / name).read_bytes()
        return self._assets[name], media


def qr_svg(uri: str) -> Markup:
    """An inline SVG QR code for an otpauth URI (markup we generate, so safe to embed)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    # Drop the XML declaration: inline SVG in HTML must start at the <svg> element.
    start = svg.find("<svg")
    return Markup(svg[start:])  # noqa: S704 - produced by qrcode from our own URI, no input
