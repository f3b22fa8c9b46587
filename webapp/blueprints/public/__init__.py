"""Home page, language switch and public information pages."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from webapp.blueprints.public import views  # noqa: E402,F401
