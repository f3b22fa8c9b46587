"""Rangers' pages: their sites, plot updates with photos; administrators assign rangers."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.plots import bp
from webapp.blueprints.plots.forms import UpdateForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.labels import label
from webapp.models import MemorialSite, PlotUpdateKind, Role
from webapp.security import role_required
from webapp.services import mail, storage
from webapp.services.plots import notify, photos, queries, rangers
from webapp.services.plots.states import allowed_updates
from webapp.unit_of_work import committing

log = logging.getLogger(__name__)


def _site_for_ranger(code: str) -> MemorialSite:
    site = queries.site_by_code(db.session, code)
    if site is None:
        abort(404)
    if not rangers.may_report(db.session, current_user, site):
        abort(403)
    return site


@bp.get("/ranger")
@role_required(Role.RANGER, Role.ADMIN)
def ranger_home():
    sites = rangers.sites_for(db.session, current_user)
    return render_template(
        "plots/ranger/index.html", sites=sites, summaries=queries.site_summaries(db.session)
    )


@bp.get("/ranger/sites/<code>")
@role_required(Role.RANGER, Role.ADMIN)
def ranger_site(code: str):
    site = _site_for_ranger(code)
    return render_template(
        "plots/ranger/site.html", site=site, plots=queries.site_plots(db.session, site)
    )


def _update_form(plot) -> UpdateForm:
    form = UpdateForm()
    form.kind.choices = [(k.value, label(k)) for k in allowed_updates(plot.status)]
    return form


def _prepared_photos(form: UpdateForm) -> list[photos.PreparedPhoto]:
    limit = current_app.config["PLOT_PHOTO_MAX_BYTES"]
    prepared = []
    for upload in form.photos.data or []:
        if not getattr(upload, "filename", ""):
            continue
        prepared.append(photos.prepare(photos.read_limited(upload.stream, limit), max_bytes=limit))
    return prepared


@bp.route("/ranger/sites/<code>/plots/<plot_code>", methods=["GET", "POST"])
@role_required(Role.RANGER, Role.ADMIN)
def ranger_plot(code: str, plot_code: str):
    site = _site_for_ranger(code)
    plot = queries.plot_by_code(db.session, site, plot_code)
    if plot is None:
        abort(404)
    form = _update_form(plot)
    problem = None
    if form.validate_on_submit():
        # Files first (named by content, written atomically), then the one commit: a
        # row never points at a missing photo; a failed commit removes what it wrote.
        store = storage.from_config(current_app.config, "photos")
        created: list = []
        try:
            with committing(db.session):
                prepared = _prepared_photos(form)
                outcome = rangers.record_update(
                    db.session,
                    plot,
                    current_user,
                    PlotUpdateKind(form.kind.data),
                    form.survival.data,
                    form.note.data or "",
                    prepared,
                    replanted=form.replanted.data,
                )
                created = photos.save(store, prepared)
        except DomainError as exc:
            photos.discard(created, store)
            problem = str(exc.message)
        except Exception:
            photos.discard(created, store)
            raise
        else:
            _notify(outcome)
            flash(_("Update recorded for plot %(code)s.", code=plot.code), "success")
            return redirect(url_for(".ranger_plot", code=site.code, plot_code=plot.code))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "plots/ranger/plot.html", site=site, plot=plot, form=form, problem=problem
    ), status


def _notify(outcome: rangers.UpdateOutcome) -> None:
    """E-mail the sponsors after the commit; a failed e-mail never undoes the update."""
    base_url = current_app.config["BASE_URL"]
    for sponsor in outcome.notify:
        try:
            message = notify.update_mail(outcome.update.plot, outcome.update, sponsor, base_url)
            mail.send(current_app.config, message)
        except Exception:
            log.exception("plot update e-mail to sponsor %s failed", sponsor.id)
