"""Public certificate verification: look-up form, verify page, scanned QR codes."""

from flask import Blueprint

from webapp import unit_of_work
from webapp.services.certificates import freshness
from webapp.services.certificates.ids import format_public_id
from webapp.services.messages import CertificateChanged

bp = Blueprint("verify", __name__)

bp.add_app_template_global(format_public_id, "display_id")


def _certificate_changed(app, message: CertificateChanged) -> None:
    """Every revocation path ends here after its commit: free this process's copies.

    Only memory: the copies are keyed by the state they show (services/certificates/
    freshness.py), so none is ever served stale even if this never runs."""
    freshness.certificates_changed(app.config, [message.public_id])


bp.record_once(lambda state: unit_of_work.on(state.app, CertificateChanged, _certificate_changed))

from webapp.blueprints.verify import views  # noqa: E402,F401
