"""Certificates for their holders: PDF downloads, "My certificates", bulk personal shares."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from webapp.blueprints.certificates import views  # noqa: E402,F401
