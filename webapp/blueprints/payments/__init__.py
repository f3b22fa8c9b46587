"""Provider endpoints: the Stripe, WeChat Pay and Alipay notifications, the demo provider's
checkout page and the redirect to Alipay."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from webapp.blueprints.payments import views  # noqa: E402,F401
