"""Staff pages for planting days (植树日): schedule, change the capacity, cancel, and see
who registered."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import CancelDayForm, CapacityForm, PlantingDayForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.models import MemorialSite, PlotStatus
from webapp.services.planting import days, queries, registrations
from webapp.services.plots import queries as plot_queries
from webapp.unit_of_work import committing


def _day_form() -> PlantingDayForm:
    form = PlantingDayForm()
    sites = plot_queries.public_sites(db.session)
    form.site.choices = [(s.id, f"{s.code} · {s.text('name', current_lang())}") for s in sites]
    choices = []
    for site in sites:
        for plot in plot_queries.site_plots(db.session, site):
            if plot.status is PlotStatus.SPONSORED:
                choices.append((plot.id, f"{site.code} / {plot.code}"))
    form.plots.choices = choices
    return form


@bp.route("/planting-days", methods=["GET", "POST"])
def planting_days():
    form = _day_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            site = db.session.get(MemorialSite, form.site.data)
            if site is None:
                abort(404)
            data = days.DayInput(
                day=form.day.data,
                start=form.start.data,
                end=form.end.data,
                meeting_point=form.meeting_point.data or "",
                plot_ids=form.plots.data or [],
                trees_available=form.trees_available.data,
                capacity=form.capacity.data,
                what_to_bring=form.what_to_bring.data or "",
                safety_notes=form.safety_notes.data or "",
            )
            try:
                with committing(db.session):
                    day = days.schedule(db.session, site, data, actor=current_user)
            except DomainError as exc:
                flash(str(exc.message), "error")
                status = exc.status
            else:
                flash(_("Planting day %(code)s is scheduled.", code=day.code), "success")
                return redirect(url_for(".planting_day", code=day.code))
        else:
            status = 400
    return render_template(
        "admin/planting_days.html", form=form, days=queries.all_days(db.session)
    ), status


def _day_page(day, capacity_form=None, cancel_form=None, status=200):
    return render_template(
        "admin/planting_day.html",
        day=day,
        capacity_form=capacity_form or CapacityForm(prefix="cap", capacity=day.capacity),
        cancel_form=cancel_form or CancelDayForm(prefix="cancel"),
        trees=queries.trees_planted(db.session, day),
        checkins=queries.counted_checkins(db.session, day),
    ), status


def _day_or_404(code: str):
    day = queries.day_by_code(db.session, code)
    if day is None:
        abort(404)
    return day


@bp.get("/planting-days/<code>")
def planting_day(code: str):
    return _day_page(_day_or_404(code))


@bp.post("/planting-days/<code>/capacity")
def planting_day_capacity(code: str):
    day = _day_or_404(code)
    form = CapacityForm(prefix="cap")
    if not form.validate_on_submit():
        return _day_page(day, capacity_form=form, status=400)
    try:
        with committing(db.session):
            promoted = registrations.change_capacity(
                db.session, day, form.capacity.data, actor=current_user
            )
    except DomainError as exc:
        flash(str(exc.message), "error")
        return _day_page(day, capacity_form=form, status=exc.status)
    flash(
        _(
            "The capacity is now %(n)s; %(p)s registrations moved up from the waiting list.",
            n=day.capacity,
            p=len(promoted),
        ),
        "success",
    )
    return redirect(url_for(".planting_day", code=day.code))


@bp.post("/planting-days/<code>/cancel")
def planting_day_cancel(code: str):
    day = _day_or_404(code)
    form = CancelDayForm(prefix="cancel")
    if not form.validate_on_submit():
        return _day_page(day, cancel_form=form, status=400)
    try:
        with committing(db.session):
            days.cancel(db.session, day, form.reason.data, actor=current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return _day_page(day, cancel_form=form, status=exc.status)
    flash(_("The planting day is cancelled; everyone registered is told by e-mail."), "success")
    return redirect(url_for(".planting_day", code=day.code))
