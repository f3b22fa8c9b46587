"""Forestry-bureau staff: projects and issuances (maker-checker)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from webapp.blueprints.admin import orders, views  # noqa: E402,F401
