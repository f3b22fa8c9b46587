"""The offset flow: choose credits, a beneficiary and a payment method, then checkout."""

from flask import Blueprint

bp = Blueprint("offset", __name__)

from webapp.blueprints.offset import views  # noqa: E402,F401
