"""Printed sheets other than certificates (plot plaques and posters, event reports, survey
posters and ticket slips), rendered like certificates: an autoescaped Jinja template fed
plain data, turned into PDF by :func:`webapp.services.pdf.render.render` (static-only
resources, the shared fonts and render lock)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from webapp.services.pdf import render as pdf

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# A factor's verification status on bilingual printed sheets, as the pages name it.
VERIFICATION_TEXTS = {
    "verified": "已核实 verified",
    "secondary": "二手来源 secondary source",
    "UNVERIFIED": "未核实 UNVERIFIED",
}


class PrintSheets:
    """Templates from ``templates/<folder>/`` styled by ``static/<static_folder>/print.css``."""

    def __init__(self, folder: str, static_folder: str) -> None:
        self.base_url = pdf.static_url(static_folder)
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES / folder),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, template: str, **context: object) -> bytes:
        html = self._env.get_template(template).render(**context)
        return pdf.render(
            [html], base_url=self.base_url, stylesheet_url=f"{self.base_url}print.css"
        ).pdf
