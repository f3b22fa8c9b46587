"""Register, log in and out, password change and reset, the account page."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from webapp.blueprints.account import views  # noqa: E402,F401
