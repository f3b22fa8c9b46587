"""Printed sheets other than certificates (plot plaques and posters, event reports, survey
posters and ticket slips), rendered like certificates: an autoescaped Jinja template fed
plain data, WeasyPrint with the certificates' static-only URL fetcher (files under
``static/`` and nothing else), the same per-process FontConfiguration and render lock."""

from __future__ import annotations

from pathlib import Path

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from webapp.services.certificates import render as certificate_render
from webapp.services.certificates.render import FetchRefusedError, StaticFetcher

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
        self.base_url = f"{certificate_render.STATIC_SCHEME}:/{static_folder}/"
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES / folder),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, template: str, **context: object) -> bytes:
        html = self._env.get_template(template).render(**context)
        fetcher = StaticFetcher()
        with certificate_render._RENDER_LOCK:  # WeasyPrint runs one render at a time
            font_config = certificate_render._FONT_CONFIG
            stylesheet = weasyprint.CSS(
                url=f"{self.base_url}print.css", url_fetcher=fetcher, font_config=font_config
            )
            document = weasyprint.HTML(
                string=html, base_url=self.base_url, url_fetcher=fetcher
            ).render(font_config=font_config, stylesheets=[stylesheet])
            if fetcher.refused:
                raise FetchRefusedError(f"refused resources: {fetcher.refused}")
            return document.write_pdf()
