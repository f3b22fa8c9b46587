"""Public registry: projects, issuances, the retirement register and the ledger."""

from flask import Blueprint

from webapp.services.registry.serials import format_range

bp = Blueprint("registry", __name__)
bp.add_app_template_global(format_range, "serial_range")

from webapp.blueprints.registry import documents, losses, views  # noqa: E402,F401
