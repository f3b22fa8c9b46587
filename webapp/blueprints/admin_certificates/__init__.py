"""Administration of certificates: search, filter, revoke with a reason."""

from flask import Blueprint

bp = Blueprint("admin_certificates", __name__, url_prefix="/admin/certificates")

from webapp.blueprints.admin_certificates import views  # noqa: E402,F401
