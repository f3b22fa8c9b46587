"""Footprint calculators (household, event), results, history and the methodology page."""

from flask import Blueprint

bp = Blueprint("calculator", __name__, url_prefix="/footprint")

from webapp.blueprints.calculator import views  # noqa: E402,F401
