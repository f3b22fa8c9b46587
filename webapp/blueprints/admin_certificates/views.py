from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin_certificates import bp
from webapp.blueprints.admin_certificates.forms import RevokeForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import CertificateStatus, Role
from webapp.security import role_required
from webapp.services.certificates import issuing, queries
from webapp.services.certificates.token import CertificateKind

PAGE = 50


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only() -> None:
    """Every page here is for registry administrators."""


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
        "admin_certificates/index.html",
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


@bp.get("/")
def index():
    return _listing(
        request.args.get("q", "")[:64],
        request.args.get("status", ""),
        request.args.get("kind", ""),
        form=RevokeForm(),
    )


@bp.post("/<public_id>/revoke")
def revoke(public_id: str):
    certificate = queries.by_public_id(db.session, public_id)
    if certificate is None:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            issuing.revoke(
                db.session,
                certificate,
                reason=form.reason.data,
                actor=current_user._get_current_object(),
            )
        except DomainError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc.message)]
        else:
            db.session.commit()
            flash(
                _("Certificate %(id)s was revoked.", id=certificate.public_id),
                "success",
            )
            return redirect(url_for(".index", q=certificate.public_id))
    return _listing(certificate.public_id, "", "", form=form, failed=certificate.public_id), 400
