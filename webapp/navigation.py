"""Header and footer links. Only endpoints that are registered are shown."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

MAIN_LINKS = [
    ("calculator.household", _l("Calculate")),
    ("offset.start", _l("Offset")),
    ("registry.projects", _l("Projects")),
    ("plots.sites", _l("Memorial forests")),
    ("planting.days", _l("Planting days")),
    ("events.index", _l("Zero-carbon events")),
    ("verify.lookup", _l("Verify")),
]
FOOTER_LINKS = [
    ("public.home", _l("Home")),
    ("calculator.methodology", _l("Methodology")),
    ("registry.projects", _l("Registry")),
    ("registry.ledger", _l("Public ledger")),
    ("verify.lookup", _l("Verify a certificate")),
]


def _present(links: list[tuple[str, object]]) -> list[tuple[str, str]]:
    views = current_app.view_functions
    return [(endpoint, str(label)) for endpoint, label in links if endpoint in views]


def register_navigation(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = lambda: _present(MAIN_LINKS)
    app.jinja_env.globals["footer_links"] = lambda: _present(FOOTER_LINKS)
