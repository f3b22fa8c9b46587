from __future__ import annotations

from decimal import Decimal

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from webapp.blueprints.offset import bp
from webapp.blueprints.offset.forms import AUTO, OffsetForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.labels import label
from webapp.models import PaymentMethod, Privacy, Purpose, SinkProject
from webapp.services import footprint_records, orders, quantities
from webapp.services.events import organisations
from webapp.services.payments import checkout
from webapp.services.registry import sales_stop
from webapp.services.registry.allocation import Beneficiary
from webapp.unit_of_work import committing
from webapp.web.checkout_fields import (
    buyer_client,
    default_method,
    order_locale,
    payment_choices,
    return_urls,
)

PURPOSES = [
    Purpose.HOUSEHOLD_YEAR,
    Purpose.ORGANISATION,
    Purpose.GIFT,
    Purpose.EVENT,
    Purpose.OTHER,
    Purpose.JUDICIAL_RESTORATION,
]


def _setup(form: OffsetForm, offers: list[orders.Offer]) -> None:
    lang = current_lang()
    form.project.choices = [SelectChoice(AUTO, _("Let Tanhui choose (lowest price first)"))] + [
        SelectChoice(o.project.code, f"{o.project.code} · {o.project.text('name', lang)}")
        for o in offers
    ]
    form.privacy.choices = [SelectChoice(p.value, label(p)) for p in Privacy]
    form.purpose.choices = [SelectChoice(p.value, label(p)) for p in PURPOSES]
    form.method.choices = payment_choices(current_user)
    if form.method.data is None:
        form.method.data = default_method()


def _prefill(form: OffsetForm) -> None:
    tonnes = quantities.optional(request.args.get("tonnes", ""), above=0, maximum=100_000)
    if tonnes is not None:
        form.tonnes.data = max(tonnes, Decimal("0.01"))
    form.calculation.data = request.args.get("calculation", "")[:64]
    code = request.args.get("project", "")
    if code in {c.value for c in form.project.choices}:
        form.project.data = code
    # An organisation's member offsets for the organisation: its name in full, an
    # organisation purpose and its invoice details; a resident for the household.
    orgs = organisations.for_user(db.session, current_user)
    if orgs:
        org = orgs[0]
        form.beneficiary_name.data = form.beneficiary_name.data or org.name
        form.privacy.data = Privacy.FULL.value
        form.purpose.data = Purpose.ORGANISATION.value
        form.invoice_title.data = org.invoice_title or org.name
        form.invoice_tax_id.data = org.invoice_tax_id or ""
    if not form.beneficiary_name.data:
        form.beneficiary_name.data = current_user.display_name


def _build_request(form: OffsetForm) -> orders.OffsetRequest:
    # Fields that do not apply to the choices made are not read, even if a stale page sent
    # them: a case number only for judicial restoration, invoice details only for buyers
    # who may be invoiced (organisations).
    judicial = form.purpose.data == Purpose.JUDICIAL_RESTORATION.value
    invoiced = current_user.can_pay_by_transfer
    project = None
    if form.project.data != AUTO:
        project = db.session.scalar(
            db.select(SinkProject).where(SinkProject.code == form.project.data)
        )
        if project is None:
            raise DomainError(_("Please choose a project from the list."))
        sales_stop.refuse_if_stopped(db.session, project.id)
    calculation = None
    if form.calculation.data:
        calculation = footprint_records.get_visible(db.session, form.calculation.data, current_user)
    return orders.OffsetRequest(
        quantity_kg=int((form.tonnes.data * 1000).to_integral_value()),
        beneficiary=Beneficiary(
            name=form.beneficiary_name.data or "",
            privacy=Privacy(form.privacy.data),
            purpose=Purpose(form.purpose.data),
            purpose_detail=form.purpose_detail.data or "",
            case_number=(form.case_number.data or "") if judicial else "",
            court=(form.court.data or "") if judicial else "",
        ),
        method=PaymentMethod(form.method.data),
        locale=order_locale(),
        project=project,
        calculation=calculation,
        invoice_title=(form.invoice_title.data or "") if invoiced else "",
        invoice_tax_id=(form.invoice_tax_id.data or "") if invoiced else "",
    )


@bp.route("/offset", methods=["GET", "POST"])
@login_required
def start():
    offers = orders.offers(db.session)
    form = OffsetForm()
    _setup(form, offers)
    if request.method == "GET":
        _prefill(form)
    quote = problem = None
    if form.validate_on_submit():
        try:
            offset = _build_request(form)
            if "confirm" in request.form:
                with committing(db.session):
                    order = checkout.start_offset(
                        db.session,
                        user=current_user,
                        order_request=offset,
                        config=current_app.config,
                        return_urls=return_urls,
                        client=buyer_client(),
                    )
                return redirect(url_for("orders.detail", ref=order.ref))
            quote = (
                orders.quote(db.session, offset.project, offset.quantity_kg)
                if offset.project is not None
                else orders.choose_project(db.session, offset.quantity_kg)
            )
            if quote is None:
                problem = _("Not enough credits are available for that quantity; try fewer.")
        except DomainError as exc:
            db.session.rollback()  # a refused quote may have read under a lock
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return (
        render_template(
            "offset/start.html", form=form, offers=offers, quote=quote, problem=problem
        ),
        status,
    )
