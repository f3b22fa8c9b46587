"""Plot sponsorship (认建认养): choose plots, dedicate them, and pay."""

from flask import Blueprint

bp = Blueprint("sponsor", __name__)

from webapp.blueprints.sponsor import views  # noqa: E402,F401
