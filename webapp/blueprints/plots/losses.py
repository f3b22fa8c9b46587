"""Reporting a loss of carbon (碳流失) from the field: rangers and staff (issue 18)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.plots import bp
from webapp.blueprints.plots.loss_forms import LossForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.labels import label
from webapp.models import LossCause, Role
from webapp.security import role_required
from webapp.services import storage
from webapp.services.plots import photos
from webapp.services.registry import losses, queries
from webapp.unit_of_work import committing


def _form() -> LossForm:
    form = LossForm()
    projects = [p for p in queries.public_projects(db.session) if p.status.value == "active"]
    form.project.choices = [
        (p.code, f"{p.text('name', current_lang())} ({p.code})") for p in projects
    ]
    form.cause.choices = [(c.value, label(c)) for c in LossCause]
    return form


@bp.route("/ranger/losses/new", methods=["GET", "POST"])
@role_required(Role.RANGER, Role.ADMIN)
def report_loss():
    form = _form()
    problem = None
    if form.validate_on_submit():
        project = queries.project_by_code(db.session, form.project.data)
        store = storage.from_config(current_app.config, "photos")
        created: list = []
        limit = current_app.config["PLOT_PHOTO_MAX_BYTES"]
        try:
            with committing(db.session):
                prepared = [
                    photos.prepare(photos.read_limited(upload.stream, limit), max_bytes=limit)
                    for upload in form.photos.data or []
                    if getattr(upload, "filename", "")
                ]
                loss = losses.report(
                    db.session,
                    project,
                    losses.LossReport(
                        cause=LossCause(form.cause.data),
                        occurred_on=form.occurred_on.data,
                        area_ha=form.area_ha.data,
                        estimated_t=form.estimated_t.data,
                        note=form.note.data or "",
                    ),
                    prepared,
                    actor=current_user,
                )
                created = photos.save(store, prepared)
        except DomainError as exc:
            photos.discard(created, store)
            problem = str(exc.message)
        except Exception:
            photos.discard(created, store)
            raise
        else:
            flash(
                _(
                    "Loss %(ref)s reported. A second staff member will confirm it.",
                    ref=loss.ref,
                ),
                "success",
            )
            return redirect(url_for(".report_loss"))
    status = 400 if request.method == "POST" else 200
    return render_template("plots/ranger/loss.html", form=form, problem=problem), status
