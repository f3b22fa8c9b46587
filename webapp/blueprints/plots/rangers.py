"""Rangers' pages: their sites, plot updates with photos; administrators assign rangers."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.plots import bp
from webapp.blueprints.plots.forms import AssignForm, UpdateForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.labels import label
from webapp.models import MemorialSite, PlotUpdateKind, Role, User
from webapp.security import role_required
from webapp.services import mail, storage
from webapp.services.plots import notify, photos, queries, rangers
from webapp.services.plots.states import allowed_updates

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
        try:
            prepared = _prepared_photos(form)
            outcome = rangers.record_update(
                db.session,
                plot,
                current_user,
                PlotUpdateKind(form.kind.data),
                form.survival.data,
                form.note.data or "",
                prepared,
            )
        except DomainError as exc:
            db.session.rollback()
            problem = str(exc.message)
        else:
            # Files first (named by content, written atomically), then the one commit: a
            # row never points at a missing photo; a failed commit removes what it wrote.
            store = storage.from_config(current_app.config, "photos")
            created = photos.save(store, prepared)
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                photos.discard(created, store)
                raise
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


@bp.route("/admin/rangers", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_rangers():
    form = AssignForm()
    ranger_list = rangers.rangers(db.session)
    site_list = queries.public_sites(db.session)
    form.ranger.choices = [(u.id, f"{u.display_name} <{u.email}>") for u in ranger_list]
    form.site.choices = [(s.id, f"{s.code} · {s.text('name', current_lang())}") for s in site_list]
    if form.validate_on_submit():
        ranger = db.session.get(User, form.ranger.data)
        site = db.session.get(MemorialSite, form.site.data)
        try:
            rangers.assign(db.session, ranger, site, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is assigned to %(site)s.", name=ranger.display_name, site=site.code))
            return redirect(url_for(".admin_rangers"))
    return render_template(
        "plots/admin_rangers.html",
        form=form,
        assignments=rangers.assignments(db.session),
        rangers=ranger_list,
    ), (400 if form.errors else 200)


@bp.post("/admin/rangers/<int:user_id>/<int:site_id>/remove")
@role_required(Role.ADMIN)
def admin_unassign(user_id: int, site_id: int):
    ranger = db.session.get(User, user_id)
    site = db.session.get(MemorialSite, site_id)
    if ranger is None or site is None:
        abort(404)
    rangers.unassign(db.session, ranger, site, actor=current_user)
    db.session.commit()
    flash(
        _("%(name)s is no longer assigned to %(site)s.", name=ranger.display_name, site=site.code)
    )
    return redirect(url_for(".admin_rangers"))
