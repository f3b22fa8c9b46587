"""Plot sponsorship (认建认养): choose plots, dedicate them, and pay; and donations for a
site's planting (捐资造林)."""

from flask import Blueprint

bp = Blueprint("sponsor", __name__)

from webapp.blueprints.sponsor import donate, views  # noqa: E402,F401
