"""Staff: certificates — search, filter, revoke with a reason (every revocation path
announces the change through the boundary; see ``webapp/unit_of_work.py``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import RevokeForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import CertificateStatus
from webapp.services.certificates import issuing, queries
from webapp.services.certificates.token import CertificateKind
from webapp.services.payments import refunds
from webapp.unit_of_work import committing

PAGE = 50


def _enum(cls, raw: str | None):
    try:
        return cls(raw) if raw else None
    except ValueError:
        return None


def _listing(query: str, status: str, kind: str, *, form: RevokeForm, failed: str | None = None):
    before = request.args.get("before", "")
    items = queries.search(
        db.session,
        query=query,
        status=_enum(CertificateStatus, status),
        kind=_enum(CertificateKind, kind),
        before_id=int(before) if before.isdigit() and len(before) < 12 else None,
        limit=PAGE + 1,
    )
    return render_template(
        "admin/certificates.html",
        certificates=items[:PAGE],
        more=len(items) > PAGE,
        q=query,
        status=status,
        kind=kind,
        statuses=list(CertificateStatus),
        kinds=list(CertificateKind),
        share_counts=queries.share_counts(db.session, [c.id for c in items[:PAGE]]),
        form=form,
        failed=failed,
    )


@bp.get("/certificates/")
def certificates():
    return _listing(
        request.args.get("q", "")[:64],
        request.args.get("status", ""),
        request.args.get("kind", ""),
        form=RevokeForm(),
    )


def _confirm_revocation(certificate, form: RevokeForm):
    """What revoking would do, with the one button that does it (no one-click revoke)."""
    return render_template(
        "admin/confirm.html",
        title=_("Revoke certificate %(id)s?", id=certificate.public_id),
        intro=_(
            "The certificate and the personal certificates issued from it stop standing: "
            "their verify pages say revoked. No money is returned and the serials stay "
            "retired; to return both, refund the order instead."
        ),
        effects=refunds.revocation_consequences(db.session, certificate),
        serials_title=_("Serials named on the certificate (they stay retired)"),
        reason=form.reason.data,
        action=url_for(".revoke_certificate", public_id=certificate.public_id),
        hidden={"reason": form.reason.data},
        confirm_label=_("Revoke"),
        cancel_url=url_for(".certificates", q=certificate.public_id),
    )


@bp.post("/certificates/<public_id>/revoke")
def revoke_certificate(public_id: str):
    certificate = queries.by_public_id(db.session, public_id)
    if certificate is None:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        if request.form.get("confirmed") != "1" and certificate.status is CertificateStatus.VALID:
            return _confirm_revocation(certificate, form)
        try:
            with committing(db.session):
                issuing.revoke(
                    db.session,
                    certificate,
                    reason=form.reason.data,
                    actor=current_user._get_current_object(),
                )
        except DomainError as exc:
            form.reason.errors = [str(exc.message)]
        else:
            flash(
                _("Certificate %(id)s was revoked.", id=certificate.public_id),
                "success",
            )
            return redirect(url_for(".certificates", q=certificate.public_id))
    return _listing(certificate.public_id, "", "", form=form, failed=certificate.public_id), 400
