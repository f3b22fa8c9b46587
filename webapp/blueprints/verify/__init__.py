"""Public certificate verification: look-up form, verify page, scanned QR codes."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from webapp.services.certificates.ids import format_public_id

bp = Blueprint("verify", __name__)

KIND_LABELS = {
    "offset": _l("Carbon sink retirement (offset)"),
    "plot": _l("Plot sponsorship"),
    "event": _l("Zero-carbon event"),
}
STATUS_LABELS = {"valid": _l("Valid"), "revoked": _l("Revoked")}


@bp.app_template_global("certificate_kind_label")
def certificate_kind_label(kind: object) -> str:
    value = getattr(kind, "value", kind)
    return str(KIND_LABELS.get(str(value), value))


@bp.app_template_global("certificate_status_label")
def certificate_status_label(status: object) -> str:
    value = getattr(status, "value", status)
    return str(STATUS_LABELS.get(str(value), value))


bp.add_app_template_global(format_public_id, "display_id")

from webapp.blueprints.verify import views  # noqa: E402,F401
