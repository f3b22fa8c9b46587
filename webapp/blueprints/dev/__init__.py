"""Development-only pages (registered only when DEV_PAGES is on; never in production)."""

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")

from webapp.blueprints.dev import views  # noqa: E402,F401
