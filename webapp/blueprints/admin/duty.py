"""Staff: tree-planting duty certificates (义务植树尽责证明) — find one by its number and
revoke it with a note, confirmed on a second page (no one-click revoke)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import DutyRevokeForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.labels import duty_revocation_text
from webapp.models import DutyCertificate
from webapp.services.planting import duty as duty_service
from webapp.services.planting import duty_revocation
from webapp.services.registry.privacy import initials
from webapp.unit_of_work import committing

MAX_QUERY = 40


def _number(raw: str | None) -> str:
    """A certificate number as staff may type it: any case, spaces or hyphens."""
    return "".join(ch for ch in (raw or "")[:MAX_QUERY] if ch.isalnum()).upper()


def _page(
    number: str,
    certificate: DutyCertificate | None,
    form: DutyRevokeForm,
    *,
    error: str | None = None,
    status: int = 200,
):
    return render_template(
        "admin/duty_certificates.html",
        number=number,
        certificate=certificate,
        holder=initials(certificate.holder_name) if certificate else None,
        form=form,
        error=error,
    ), status


@bp.get("/duty-certificates")
def duty_certificates():
    number = _number(request.args.get("id"))
    if not number:
        return _page("", None, DutyRevokeForm())
    certificate = duty_service.by_public_id(db.session, number)
    if certificate is None:
        return _page(
            number,
            None,
            DutyRevokeForm(),
            error=_("No duty certificate has the number %(id)s.", id=number),
            status=404,
        )
    return _page(number, certificate, DutyRevokeForm())


def _confirm(certificate: DutyCertificate, form: DutyRevokeForm):
    """What revoking would do, with the one button that does it."""
    return render_template(
        "admin/confirm.html",
        title=_("Revoke duty certificate %(id)s?", id=certificate.public_id),
        intro=_(
            "Anyone who checks it (its QR code, the account page, the API) is told it is "
            "revoked, with your note; the holder is told by e-mail and can download a new "
            "certificate with the current figures. Nothing else changes."
        ),
        effects=None,
        facts=[
            (_("Holder"), initials(certificate.holder_name)),
            (_("Year"), certificate.year),
            (
                _("Trees"),
                _(
                    "%(total)s (planted %(planted)s, converted %(converted)s)",
                    total=certificate.total_trees,
                    planted=certificate.trees_planted,
                    converted=certificate.trees_converted,
                ),
            ),
        ],
        reason=form.note.data,
        action=url_for(".revoke_duty_certificate", public_id=certificate.public_id),
        hidden={"note": form.note.data},
        confirm_label=_("Revoke"),
        cancel_url=url_for(".duty_certificates", id=certificate.public_id),
    )


@bp.post("/duty-certificates/<public_id>/revoke")
def revoke_duty_certificate(public_id: str):
    certificate = duty_service.by_public_id(db.session, _number(public_id))
    if certificate is None:
        abort(404)
    form = DutyRevokeForm()
    if not form.validate_on_submit():
        return _page(certificate.public_id, certificate, form, status=400)
    # Only the confirmation page's button acts; a revoked certificate has nothing to
    # confirm, and the service says so (already revoked, nothing changed).
    if request.form.get("confirmed") != "1" and certificate.revoked_at is None:
        return _confirm(certificate, form)
    try:
        with committing(db.session):
            duty_revocation.revoke(
                db.session,
                certificate,
                note=form.note.data or "",
                actor=current_user._get_current_object(),
            )
    except DomainError as exc:
        db.session.expire_all()
        return _page(
            certificate.public_id,
            duty_service.by_public_id(db.session, certificate.public_id),
            form,
            error=str(exc.message),
            status=exc.status,
        )
    flash(
        _(
            "Duty certificate %(id)s was revoked: %(reason)s",
            id=certificate.public_id,
            reason=duty_revocation_text(certificate.revocation_reason, certificate.revocation_note),
        ),
        "success",
    )
    return redirect(url_for(".duty_certificates", id=certificate.public_id))
