"""Staff: losses of carbon reported from the field (issue 18). A staff member who did not
report a loss confirms it (the registry then cancels buffer, then unsold stock), or
rejects it; a loss that stopped sales is resolved here."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.services.registry import losses
from webapp.unit_of_work import committing


@bp.get("/losses")
def losses_page():
    return render_template(
        "admin/losses.html",
        pending=losses.pending(db.session),
        recent=losses.recent(db.session),
    )


@bp.post("/losses/<int:loss_id>/<action>")
def loss_action(loss_id: int, action: str):
    loss = losses.find(db.session, loss_id)
    if loss is None or action not in ("confirm", "reject", "resolve"):
        abort(404)
    text = request.form.get("note", "")
    try:
        with committing(db.session):
            if action == "confirm":
                losses.confirm(db.session, loss, actor=current_user)
            elif action == "reject":
                losses.reject(db.session, loss, actor=current_user, reason=text)
            else:
                losses.resolve(db.session, loss, actor=current_user, note=text)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".losses_page")), 303
    flash(_("Loss %(ref)s updated.", ref=loss.ref), "success")
    return redirect(url_for(".losses_page")), 303
