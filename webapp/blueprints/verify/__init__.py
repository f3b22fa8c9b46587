"""Public certificate verification: look-up form, verify page, scanned QR codes."""

from flask import Blueprint

from webapp import unit_of_work, warmup
from webapp.extensions import db
from webapp.services.certificates import freshness, verification
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

_page_templates = warmup.templates(
    "verify/certificate.html",
    "verify/_form.html",
    "verify/lookup.html",
    "registry/_loss_sentence.html",
)


def _warm(app) -> None:
    """The verify page is what rangers scan and the public opens most: a new worker
    compiles its templates and opens its state read's connection before taking requests."""
    _page_templates(app)
    try:
        verification.warm(db.session, app.config)
    finally:
        db.session.remove()


bp.record_once(lambda state: warmup.register(state.app, _warm))

from webapp.blueprints.verify import views  # noqa: E402,F401
