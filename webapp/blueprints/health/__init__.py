"""Probes for load balancers and orchestrators: ``/healthz`` (the process) and
``/readyz`` (database, Redis, storage)."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from webapp.blueprints.health import views  # noqa: E402,F401
