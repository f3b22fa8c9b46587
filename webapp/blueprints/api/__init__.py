"""JSON API under /api/v1. Stateless: exempt from CSRF, no cookies needed."""

from flask import Blueprint

from webapp.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

import webapp.blueprints.api.certificates  # noqa: E402
import webapp.blueprints.api.certificates_openapi  # noqa: E402
import webapp.blueprints.api.footprints  # noqa: E402,F401 - also serves openapi.json
from webapp.blueprints.api import (  # noqa: E402,F401
    losses,
    losses_openapi,
    monitoring_openapi,
    planting,
    planting_openapi,
    registry,
    registry_openapi,
    sites,
    sites_openapi,
    views,
)
