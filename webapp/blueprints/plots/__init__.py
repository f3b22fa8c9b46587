"""Memorial forests: site and plot pages, rangers' updates, printable plaques."""

from flask import Blueprint

bp = Blueprint("plots", __name__)

from webapp.blueprints.plots import losses, printing, rangers, views  # noqa: E402,F401
