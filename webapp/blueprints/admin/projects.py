"""Staff: sink projects and their issuances (签发批次), drafted by one administrator and
approved by another."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import IssuanceForm, ProjectForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import (
    Delivery,
    Issuance,
    IssuanceStatus,
    ProjectType,
    RiskRating,
    SinkInstrument,
)
from webapp.services.planting import proposals as planting_proposals
from webapp.services.registry import issuance as issuance_service
from webapp.services.registry import projects as project_service
from webapp.services.registry import queries
from webapp.unit_of_work import committing


@bp.get("/")
def index():
    items = queries.public_projects(db.session)
    pending = db.session.scalars(
        select(Issuance).where(Issuance.status == IssuanceStatus.DRAFT).order_by(Issuance.id)
    ).all()
    return render_template(
        "admin/index.html",
        projects=items,
        pending=pending,
        proposed_days=planting_proposals.pending(db.session),
    )


@bp.route("/projects/new", methods=["GET", "POST"])
def new_project():
    form = ProjectForm()
    if form.validate_on_submit():
        data = project_service.ProjectData(
            code=form.code.data,
            name_zh=form.name_zh.data,
            name_en=form.name_en.data,
            type=ProjectType(form.type.data),
            instrument=SinkInstrument(form.instrument.data),
            province=form.province.data,
            city_zh=form.city_zh.data,
            city_en=form.city_en.data,
            county_zh=form.county_zh.data or "",
            county_en=form.county_en.data or "",
            latitude=form.latitude.data,
            longitude=form.longitude.data,
            area_mu=form.area_mu.data,
            developer_zh=form.developer_zh.data,
            developer_en=form.developer_en.data,
            methodology=form.methodology.data,
            crediting_start=form.crediting_start.data,
            crediting_end=form.crediting_end.data,
            description_zh=form.description_zh.data or "",
            description_en=form.description_en.data or "",
            risk_rating=RiskRating(form.risk_rating.data),
        )
        try:
            with committing(db.session):
                project = project_service.create(db.session, data, actor=current_user)
        except DomainError as exc:
            form.code.errors.append(str(exc.message))
        else:
            flash(_("Project %(code)s registered.", code=project.code), "success")
            return redirect(url_for(".issuances", code=project.code))
    return render_template("admin/project_form.html", form=form), 400 if form.errors else 200


@bp.route("/projects/<code>/issuances", methods=["GET", "POST"])
def issuances(code: str):
    project = queries.project_by_code(db.session, code)
    if project is None:
        abort(404)
    form = IssuanceForm()
    if form.validate_on_submit():
        draft = issuance_service.IssuanceDraft(
            vintage=form.vintage.data,
            period_start=form.period_start.data,
            period_end=form.period_end.data,
            quantity_kg=int((form.quantity_t.data * Decimal(1000)).to_integral_value()),
            price_per_tonne=form.price_per_tonne.data,
            delivery=Delivery(form.delivery.data),
            expected_from=form.expected_from.data,
            expected_to=form.expected_to.data,
            note=form.note.data or "",
        )
        try:
            with committing(db.session):
                issuance_service.draft(db.session, project, draft, actor=current_user)
        except DomainError as exc:
            form.quantity_t.errors.append(str(exc.message))
        else:
            flash(_("Issuance drafted. A second administrator must approve it."), "success")
            return redirect(url_for(".issuances", code=project.code))
    items = db.session.scalars(
        select(Issuance).where(Issuance.project_id == project.id).order_by(Issuance.id)
    ).all()
    return render_template(
        "admin/issuances.html", project=project, form=form, issuances=items
    ), 400 if form.errors else 200


_ACTIONS = {"approve": None, "on_sale": IssuanceStatus.ON_SALE, "close": IssuanceStatus.CLOSED}


@bp.post("/issuances/<int:issuance_id>/<action>")
def issuance_action(issuance_id: int, action: str):
    item = db.session.get(Issuance, issuance_id)
    if item is None or action not in _ACTIONS:
        abort(404)
    try:
        with committing(db.session):
            if action == "approve":
                issuance_service.approve(db.session, item, actor=current_user)
            else:
                issuance_service.set_status(db.session, item, _ACTIONS[action], actor=current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Issuance %(id)s updated.", id=issuance_id), "success")
    return redirect(url_for(".issuances", code=item.project.code))
