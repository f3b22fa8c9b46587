"""The rangers' offline scanner: the /scan app, its service worker, manifest, pack and visit log."""

from flask import Blueprint

bp = Blueprint("scan", __name__)

from webapp.blueprints.scan import views  # noqa: E402,F401
