"""Voluntary tree planting (义务植树): planting days, registration, passes, the duty record."""

from flask import Blueprint

bp = Blueprint("planting", __name__)

from webapp.blueprints.planting import views  # noqa: E402,F401
