"""Provider endpoints: the Stripe webhook and the demo provider's checkout page."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from webapp.blueprints.payments import views  # noqa: E402,F401
