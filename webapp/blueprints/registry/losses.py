"""The public loss register (issue 18): confirmed losses, how each was covered, the buffer
pool per project; CSV; photos of losses."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from webapp.blueprints.registry import bp
from webapp.blueprints.registry.views import _csv_response
from webapp.extensions import db
from webapp.localtime import local_iso
from webapp.models import LossPhoto, Role
from webapp.services.registry import buffer, losses, queries
from webapp.web.photos import send_stored_photo


@bp.get("/registry/losses")
def losses_page():
    return render_template(
        "registry/losses.html",
        losses=losses.public_losses(db.session),
        pool=buffer.pool(db.session, queries.public_projects(db.session)),
    )


@bp.get("/registry/losses.csv")
def losses_csv():
    rows = (
        [
            loss.ref,
            loss.project.code,
            loss.cause.value,
            loss.occurred_on.isoformat(),
            str(loss.area_ha),
            loss.estimated_kg,
            loss.buffer_kg,
            loss.stock_kg,
            loss.uncovered_kg,
            "yes" if loss.sales_stopped else "no",
            loss.status.value,
            local_iso(loss.confirmed_at) if loss.confirmed_at else "",
            loss.cancellation_seq if loss.cancellation_seq is not None else "",
            loss.note,
        ]
        for loss in losses.public_losses(db.session)
    )
    return _csv_response(
        rows,
        [
            "loss",
            "project",
            "cause",
            "occurred_on",
            "area_ha",
            "estimated_kg",
            "buffer_kg",
            "stock_kg",
            "uncovered_kg",
            "sales_stopped",
            "status",
            "confirmed_at",
            "ledger_entry",
            "note",
        ],
        "tanhui-losses.csv",
    )


@bp.get("/loss-photos/<int:photo_id>.jpg")
def loss_photo(photo_id: int):
    """Photos of confirmed losses are public; of reports not yet confirmed, staff only."""
    record = db.session.get(LossPhoto, photo_id)
    if record is None:
        abort(404)
    if not record.loss.counted and not (
        current_user.is_authenticated and current_user.role is Role.ADMIN
    ):
        abort(404)
    return send_stored_photo(record.path, record.sha256)
