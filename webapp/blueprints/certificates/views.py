"""Owner downloads, "My certificates", and bulk personal certificates with their job.

Who may see what: a certificate's PDF, and a batch, are shown to their owner and to
administrators. Anyone else gets 404 whether or not the certificate exists, so the
answer reveals nothing (the public verify page is the place for existence).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.blueprints.certificates import bp
from webapp.blueprints.certificates.forms import SharesForm
from webapp.database import sqlite_begin
from webapp.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.localtime import local_date
from webapp.models import Certificate, CertificateStatus, Privacy, Role
from webapp.models.certificate_batches import BatchStatus, CertificateBatch
from webapp.services import keys
from webapp.services.certificates import batches, documents, queries, shares
from webapp.services.certificates.storage import StoredFile
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import delivery
from webapp.services.registry.delivery_mail import serials_of
from webapp.unit_of_work import committing

BATCH_LIST_LIMIT = 100
SHARING_ROLES = (Role.ORGANISER, Role.ADMIN)

log = logging.getLogger(__name__)


def _user():
    return current_user._get_current_object()


def _may_see(owner_id: int | None) -> bool:
    return current_user.is_authenticated and (
        owner_id == current_user.id or current_user.role is Role.ADMIN
    )


def _can_share(certificate: Certificate) -> bool:
    return (
        current_user.role in SHARING_ROLES
        and certificate.owner_id == current_user.id
        and certificate.status is CertificateStatus.VALID
        and certificate.kind is CertificateKind.OFFSET
        and certificate.parent_id is None
        and certificate.allocation_id is not None
    )


@contextmanager
def _write_transaction() -> Iterator[None]:
    """A write from a GET request: on SQLite, begin it IMMEDIATE (GETs begin DEFERRED)."""
    db.session.rollback()
    token = sqlite_begin.set("IMMEDIATE")
    try:
        yield
    finally:
        sqlite_begin.reset(token)


def _record_pdf(certificate_id: int, stored: StoredFile) -> None:
    with _write_transaction(), committing(db.session):
        certificate = db.session.get(Certificate, certificate_id)
        if certificate is not None:
            documents.record(certificate, stored)


@bp.get("/certificates/<public_id>.pdf")
@login_required
def download(public_id: str):
    certificate = queries.by_public_id(db.session, public_id)
    if certificate is None or not _may_see(certificate.owner_id):
        abort(404)
    config = current_app.config
    try:
        plan = documents.plan_pdf(db.session, certificate, config)
    except documents.UnsupportedKindError:
        abort(404)
    except documents.IncompleteCertificateError as exc:
        # The registry lacks a fact the PDF must state: say so rather than fail.
        log.error("certificate %s: PDF not drawn: %s", certificate.public_id, exc)
        raise Conflict(
            _(
                "This certificate's PDF cannot be drawn: its registry record is incomplete. "
                "Please write to us with the certificate number."
            )
        ) from exc
    # End the read before rendering: no transaction is held for the ~0.3 s a render takes.
    db.session.rollback()
    stored = documents.write_pdf(plan, config)
    if plan.needs_record(stored):
        _record_pdf(plan.certificate_id, stored)
    accel = config.get("CERTIFICATE_ACCEL_PREFIX")
    if accel and stored.path is not None and stored.path.is_relative_to(config["CERTIFICATE_DIR"]):
        # nginx sends the file from its internal location (docs/DEPLOY.md).
        relative = stored.path.relative_to(config["CERTIFICATE_DIR"]).as_posix()
        response = current_app.response_class(b"", mimetype="application/pdf")
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + relative
        response.headers["Content-Disposition"] = (
            f'attachment; filename="tanhui-{plan.public_id}.pdf"'
        )
        response.set_etag(stored.sha256)
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    # ~40 KB: read it whole (no file handle outlives the request); the hash is the ETag.
    response = send_file(
        io.BytesIO(documents.certificate_store(config).read_stored(stored)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"tanhui-{plan.public_id}.pdf",
        etag=stored.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/account/certificates")
@login_required
def mine():
    user = _user()
    items = queries.owned_by(db.session, user)
    return render_template(
        "certificate_pages/mine.html",
        certificates=items,
        share_counts=queries.share_counts(db.session, [c.id for c in items]),
        can_share={c.id for c in items if _can_share(c)},
        batches=queries.batches_of(db.session, user),
        # delivery of projected tonnes (issue 18)
        deliveries=delivery.deliveries_for(
            db.session, [c.allocation_id for c in items if c.allocation_id]
        ),
        local_date=local_date,
        serials_of=serials_of,
    )


@bp.route("/certificates/<public_id>/shares", methods=["GET", "POST"])
@login_required
def share(public_id: str):
    parent = queries.by_public_id(db.session, public_id)
    if parent is None or parent.owner_id != current_user.id:
        abort(404)
    if not _can_share(parent):
        abort(403)
    form = SharesForm()
    if not form.is_submitted():
        form.locale.data = "en" if parent.locale.startswith("en") else "zh_CN"
    row_errors: list[shares.RowError] = []
    if form.validate_on_submit():
        key, _keyring = keys.signing(current_app.config)
        try:
            rows = shares.parse_csv(form.file.data.read(shares.MAX_FILE_BYTES + 1))
            with committing(db.session):  # the batch's job starts after the commit
                batch = shares.issue_shares(
                    db.session,
                    key=key,
                    parent=parent,
                    owner=_user(),
                    rows=rows,
                    privacy=Privacy(form.privacy.data),
                    locale=form.locale.data,
                )
        except shares.SharesRefused as exc:
            row_errors = exc.errors
        except DomainError as exc:
            form.file.errors.append(str(exc.message))
        else:
            flash(
                _(
                    "%(count)d personal certificates were issued. Their PDFs are being prepared.",
                    count=batch.total,
                ),
                "success",
            )
            return redirect(url_for(".batch", batch_id=batch.id))
    invalid = bool(row_errors or form.errors)
    return render_template(
        "certificate_pages/share.html",
        form=form,
        parent=parent,
        available_kg=shares.available_kg(db.session, parent),
        row_errors=row_errors,
        max_rows=shares.MAX_ROWS,
    ), (400 if invalid else 200)


def _batch_or_404(batch_id: int) -> CertificateBatch:
    batch = db.session.get(CertificateBatch, batch_id)
    if batch is None or not _may_see(batch.owner_id):
        abort(404)
    return batch


@bp.get("/certificates/batches/<int:batch_id>")
@login_required
def batch(batch_id: int):
    item = _batch_or_404(batch_id)
    certificates = batches.batch_certificates(db.session, item)
    return render_template(
        "certificate_pages/batch.html",
        batch=item,
        certificates=certificates[:BATCH_LIST_LIMIT],
        more=max(0, len(certificates) - BATCH_LIST_LIMIT),
    )


@bp.get("/certificates/batches/<int:batch_id>/progress.json")
@login_required
def batch_progress(batch_id: int):
    item = _batch_or_404(batch_id)
    response = jsonify(
        id=item.id,
        status=item.status.value,
        total=item.total,
        done=item.done,
        percent=item.percent,
        error=item.error,
        zip_url=url_for(".batch_zip", batch_id=item.id)
        if item.status is BatchStatus.DONE
        else None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/certificates/batches/<int:batch_id>.zip")
@login_required
def batch_zip(batch_id: int):
    item = _batch_or_404(batch_id)
    if item.status is not BatchStatus.DONE:
        abort(404)
    path = batches.zip_file(current_app.config, item)
    data = None if path is not None else batches.zip_bytes(current_app.config, item)
    if path is None and data is None:
        abort(404)
    response = send_file(
        path if path is not None else io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"tanhui-batch-{item.id}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/certificates/batches/<int:batch_id>/retry")
@login_required
def batch_retry(batch_id: int):
    item = _batch_or_404(batch_id)
    if item.status is BatchStatus.FAILED:
        with committing(db.session):
            shares.requeue_batch(db.session, item)
        flash(_("The PDFs are being prepared again."), "info")
    return redirect(url_for(".batch", batch_id=item.id))
