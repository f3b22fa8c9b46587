"""The buyer's orders: list, detail with payment, the return page and receipts."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from webapp.blueprints.orders import views  # noqa: E402,F401
