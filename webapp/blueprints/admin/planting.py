"""Staff pages for planting days (植树日): schedule, change the capacity, cancel, see who
registered, and decide on the days organisations propose (approve or decline)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import CancelDayForm, CapacityForm, DeclineProposalForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.models import MemorialSite
from webapp.services.planting import days, proposals, queries, registrations
from webapp.unit_of_work import committing
from webapp.web.planting_day_form import PlantingDayForm, day_input, fill_choices


def _day_form() -> PlantingDayForm:
    return fill_choices(PlantingDayForm(), db.session, current_lang())


@bp.route("/planting-days", methods=["GET", "POST"])
def planting_days():
    form = _day_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            site = db.session.get(MemorialSite, form.site.data)
            if site is None:
                abort(404)
            data = day_input(form)
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
        "admin/planting_days.html",
        form=form,
        days=queries.all_days(db.session),
        pending=proposals.pending(db.session),
        decided=queries.decided_proposals(db.session),
    ), status


def _day_page(day, capacity_form=None, cancel_form=None, decline_form=None, status=200):
    return render_template(
        "admin/planting_day.html",
        day=day,
        # The forms not posted are fresh (formdata=None): not read from another form's post.
        capacity_form=capacity_form
        or CapacityForm(formdata=None, prefix="cap", capacity=day.capacity),
        cancel_form=cancel_form or CancelDayForm(formdata=None, prefix="cancel"),
        decline_form=decline_form or DeclineProposalForm(formdata=None, prefix="decline"),
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


@bp.post("/planting-days/<code>/approve")
def planting_day_approve(code: str):
    day = _day_or_404(code)  # CSRFProtect has checked the token
    try:
        with committing(db.session):
            proposals.approve(db.session, day, actor=current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return _day_page(day, status=exc.status)
    flash(
        _("Planting day %(code)s is scheduled; the proposer is told by e-mail.", code=day.code),
        "success",
    )
    return redirect(url_for(".planting_day", code=day.code))


@bp.post("/planting-days/<code>/decline")
def planting_day_decline(code: str):
    day = _day_or_404(code)
    form = DeclineProposalForm(prefix="decline")
    if not form.validate_on_submit():
        return _day_page(day, decline_form=form, status=400)
    try:
        with committing(db.session):
            proposals.decline(db.session, day, form.reason.data, actor=current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return _day_page(day, decline_form=form, status=exc.status)
    flash(_("The proposal is declined; the proposer is told by e-mail."), "success")
    return redirect(url_for(".planting_day", code=day.code))
