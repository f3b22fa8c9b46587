"""Staff: monitoring periods (计量监测) and verification (核证) of a project, recorded by
one administrator and approved by another; approval delivers the verified tonnes."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.monitoring_forms import MonitoringPeriodForm, VerificationForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.localtime import local_date
from webapp.models import MonitoringPeriod, MonitoringStatus
from webapp.services import storage
from webapp.services.registry import monitoring, queries
from webapp.unit_of_work import committing


def _project(code: str):
    project = queries.project_by_code(db.session, code)
    if project is None:
        abort(404)
    return project


def _verification_form(project, periods) -> VerificationForm:
    form = VerificationForm(prefix="v")
    form.period.choices = [("", _("Choose a recorded monitoring period"))] + [
        (str(p.id), f"{p.period_start} – {p.period_end}")
        for p in periods
        if p.status is MonitoringStatus.RECORDED
    ]
    return form


def _page(project, period_form, verification_form, problem=None, status=200):
    periods = monitoring.periods_of(db.session, project)
    return render_template(
        "admin/monitoring.html",
        project=project,
        periods=periods,
        period_form=period_form,
        verification_form=verification_form,
        problem=problem,
        local_date=local_date,
    ), status


def _store_and(run, upload_field):
    """Read and check the PDF, run the service, write the file; one commit. A failed
    commit removes a file this call wrote."""
    store = storage.from_config(current_app.config, "certificates")
    document = monitoring.prepare_pdf(monitoring.read_limited(upload_field.data.stream))
    wrote = False
    try:
        with committing(db.session):
            result = run(document)
            wrote = monitoring.save(store, document)
    except Exception:
        if wrote:
            store.delete(document.key)
        raise
    return result


@bp.get("/projects/<code>/monitoring")
def monitoring_page(code: str):
    project = _project(code)
    periods = monitoring.periods_of(db.session, project)
    return _page(project, MonitoringPeriodForm(prefix="m"), _verification_form(project, periods))


@bp.post("/projects/<code>/monitoring")
def record_monitoring(code: str):
    project = _project(code)
    form = MonitoringPeriodForm(prefix="m")
    vform = _verification_form(project, monitoring.periods_of(db.session, project))
    problem = None
    if form.validate_on_submit():
        data = monitoring.PeriodData(
            period_start=form.period_start.data,
            period_end=form.period_end.data,
            method=form.method.data,
            area_ha=form.area_ha.data,
        )
        try:
            _store_and(
                lambda doc: monitoring.record_period(
                    db.session, project, data, doc, actor=current_user
                ),
                form.report,
            )
        except DomainError as exc:
            problem = str(exc.message)
        else:
            flash(_("Monitoring period recorded."), "success")
            return redirect(url_for(".monitoring_page", code=project.code))
    return _page(project, form, vform, problem, 400)


@bp.post("/projects/<code>/verification")
def record_verification(code: str):
    project = _project(code)
    periods = monitoring.periods_of(db.session, project)
    form = _verification_form(project, periods)
    problem = None
    if form.validate_on_submit():
        chosen = form.period.data or ""
        period = next((p for p in periods if str(p.id) == chosen), None)
        data = monitoring.VerificationData(
            verifier=form.verifier.data,
            verified_kg=int((form.verified_t.data * Decimal(1000)).to_integral_value()),
            price_per_tonne=form.price_per_tonne.data,
        )
        try:
            if period is None:  # before any file is read or written
                raise DomainError(_("A verification needs a recorded monitoring period."))
            _store_and(
                lambda doc: monitoring.record_verification(
                    db.session, period, data, doc, actor=current_user
                ),
                form.statement,
            )
        except DomainError as exc:
            problem = str(exc.message)
        else:
            flash(_("Verification recorded. A second administrator must approve it."), "success")
            return redirect(url_for(".monitoring_page", code=project.code))
    return _page(project, MonitoringPeriodForm(prefix="m"), form, problem, 400)


@bp.post("/monitoring/<int:period_id>/approve")
def approve_verification(period_id: int):
    period = db.session.get(MonitoringPeriod, period_id)
    if period is None:
        abort(404)
    code = period.project.code
    try:
        with committing(db.session):
            result = monitoring.approve_verification(db.session, period, actor=current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(
            _(
                "Verification approved: %(n)s projected retirements settled.",
                n=len(result.settled),
            ),
            "success",
        )
    return redirect(url_for(".monitoring_page", code=code))
