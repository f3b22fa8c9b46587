"""Organisation dashboards, event pages (public and for members), offsets and true-up,
reports. Organisation pages are for members only (404 to everyone else)."""

from __future__ import annotations

from typing import TypeVar

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from webapp.blueprints.events import bp
from webapp.blueprints.events.forms import (
    CalculationChoiceForm,
    EventForm,
    EventOffsetForm,
    InvoiceForm,
    MemberForm,
    OrganisationForm,
    TrueUpForm,
)
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.labels import label, percent
from webapp.localtime import local, today
from webapp.models import (
    CalculationKind,
    Event,
    EventKind,
    MemberRole,
    Order,
    OrderKind,
    OrganisationKind,
    PaymentMethod,
)
from webapp.services import footprint_records
from webapp.services.events import (
    offset_state,
    offsets,
    organisations,
    records,
    report,
    surplus,
    survey,
    tickets,
    trueup,
)
from webapp.services.events.organisations import InvoiceDetails
from webapp.services.footprint.factors import load_factor_set
from webapp.services.footprint.geo import provinces
from webapp.unit_of_work import committing
from webapp.web import checkout_fields
from webapp.web import footprint_presenting as present
from webapp.web.boundary import attempt
from webapp.web.checkout_fields import order_locale

T = TypeVar("T")


def _invoice(form) -> InvoiceDetails:
    return InvoiceDetails(
        title=form.invoice_title.data or "",
        tax_id=form.invoice_tax_id.data or "",
        address=form.invoice_address.data or "",
    )


def _member_event(code: str) -> Event:
    """The event if the signed-in user belongs to its organisation (else 404)."""
    event = records.by_code(db.session, code)
    if organisations.membership(db.session, event.organisation, current_user) is None:
        raise NotFound(_("We could not find that event."))
    return event


# ---- public -----------------------------------------------------------------------


@bp.get("/events")
def index():
    mine = organisations.for_user(db.session, current_user) if current_user.is_authenticated else []
    items = records.public_list(db.session)
    states = {e.id: offset_state.of(db.session, e) for e in items}
    return render_template("events/index.html", events=items, states=states, mine=mine)


def footprint_rows(calculation) -> list[dict]:
    if calculation is None:
        return []
    result = footprint_records.stored_result(calculation)
    fs = load_factor_set(result.factor_set)
    return [
        {
            "category": present.category_label(line.category),
            "activity": present.activity_label(line.activity),
            "quantity": present.number_text(line.quantity),
            "unit": present.unit_label(line.unit),
            "factor": present.number_text(line.factor, 8),
            "factor_unit": present.factor_unit_label(line.factor_unit),
            "factor_id": line.factor_id,
            # The factor set's citation, not the stored text (older results kept notes).
            "citation": fs.citation(line.factor_id, line.source),
            "verification": line.verification,
            "kg": present.kg_text(line.kg),
        }
        for line in result.lines
    ]


@bp.get("/events/<code>")
def event(code: str):
    item = records.by_code(db.session, code)
    member = organisations.membership(db.session, item.organisation, current_user)
    return render_template(
        "events/event.html",
        event=item,
        state=offset_state.of(db.session, item),
        rows=footprint_rows(item.actual_calculation or item.estimate_calculation),
        province=present.province_name(item.province),
        is_member=member is not None,
    )


# ---- organisations ----------------------------------------------------------------


def _org_form_choices(form) -> None:
    form.kind.choices = [SelectChoice(k.value, label(k)) for k in OrganisationKind]


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation():
    form = OrganisationForm()
    _org_form_choices(form)
    problem = None
    if form.validate_on_submit():
        try:
            with committing(db.session):
                org = organisations.create(
                    db.session,
                    owner=current_user,
                    name=form.name.data,
                    kind=OrganisationKind(form.kind.data),
                    invoice=_invoice(form),
                )
            return redirect(url_for(".organisation", org_id=org.id))
        except DomainError as exc:
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return render_template("events/new_organisation.html", form=form, problem=problem), status


@bp.get("/organisations/<int:org_id>")
@login_required
def organisation(org_id: int):
    org = organisations.get_for_member(db.session, org_id, current_user)
    member = organisations.membership(db.session, org, current_user)
    items = records.for_organisation(db.session, org)
    invoice_form = InvoiceForm(obj=org)
    member_form = MemberForm()
    member_form.role.choices = [SelectChoice(r.value, label(r)) for r in MemberRole]
    event_ids = [e.id for e in items]
    orders = (
        list(
            db.session.scalars(
                db.select(Order)
                .where(Order.event_id.in_(event_ids), Order.kind == OrderKind.EVENT)
                .order_by(Order.id.desc())
            )
        )
        if event_ids
        else []
    )
    return render_template(
        "events/organisation.html",
        org=org,
        is_owner=member.role is MemberRole.OWNER,
        events=items,
        states={e.id: offset_state.of(db.session, e) for e in items},
        orders=orders,
        certificates=report.certificates_of(db.session, items),
        invoice_form=invoice_form,
        member_form=member_form,
    )


@bp.post("/organisations/<int:org_id>/invoice")
@login_required
def update_invoice(org_id: int):
    org = organisations.get_for_member(db.session, org_id, current_user)
    form = InvoiceForm()
    if not form.validate_on_submit():
        flash(_("Please check the invoice details."), "error")
        return redirect(url_for(".organisation", org_id=org.id))
    attempt(
        lambda: organisations.update_invoice(
            db.session, org, actor=current_user, invoice=_invoice(form)
        ),
        _("Invoice details saved."),
    )
    return redirect(url_for(".organisation", org_id=org.id))


@bp.post("/organisations/<int:org_id>/members")
@login_required
def add_member(org_id: int):
    org = organisations.get_for_member(db.session, org_id, current_user)
    form = MemberForm()
    form.role.choices = [SelectChoice(r.value, label(r)) for r in MemberRole]
    if not form.validate_on_submit():
        flash(_("Please enter a valid e-mail address."), "error")
        return redirect(url_for(".organisation", org_id=org.id))
    attempt(
        lambda: organisations.add_member(
            db.session,
            org,
            actor=current_user,
            email=form.email.data,
            role=MemberRole(form.role.data),
        ),
        _("Member added."),
    )
    return redirect(url_for(".organisation", org_id=org.id))


# ---- events: create and manage ----------------------------------------------------


@bp.route("/organisations/<int:org_id>/events/new", methods=["GET", "POST"])
@login_required
def new_event(org_id: int):
    org = organisations.get_for_member(db.session, org_id, current_user)
    form = EventForm()
    form.kind.choices = [SelectChoice(k.value, label(k)) for k in EventKind]
    form.province.choices = [SelectChoice("", _("Choose a province"))] + [
        SelectChoice(code, present.province_name(code)) for code in provinces()
    ]
    problem = None
    if form.validate_on_submit():
        try:
            with committing(db.session):
                item = records.create(
                    db.session,
                    organisation=org,
                    actor=current_user,
                    draft=records.EventDraft(
                        name=form.name.data,
                        kind=EventKind(form.kind.data),
                        starts_on=form.starts_on.data,
                        ends_on=form.ends_on.data,
                        venue=form.venue.data,
                        city=form.city.data,
                        province=form.province.data or "",
                        expected_attendees=form.expected_attendees.data,
                    ),
                )
            return redirect(url_for(".manage", code=item.code))
        except DomainError as exc:
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return render_template("events/new_event.html", form=form, org=org, problem=problem), status


def _calculation_choices(form) -> None:
    saved = [
        c
        for c in footprint_records.list_for_user(db.session, current_user)
        if c.kind is CalculationKind.EVENT
    ]
    form.calculation.choices = [
        SelectChoice(
            c.token,
            f"{c.label or _('Event calculation')} · "
            f"{present.grams_to_tonnes(c.total_g, 3)} t · {local(c.created_at):%Y-%m-%d %H:%M}",
        )
        for c in saved
    ]


def _payment_choices(form) -> None:
    form.method.choices = checkout_fields.payment_choices(current_user)
    if form.method.data is None:
        form.method.data = checkout_fields.default_method()


@bp.get("/events/<code>/manage")
@login_required
def manage(code: str):
    item = _member_event(code)
    estimate_form = CalculationChoiceForm(prefix="estimate")
    trueup_form = TrueUpForm(prefix="actual", use_survey=True)
    offset_form = EventOffsetForm()
    for form in (estimate_form, trueup_form):
        _calculation_choices(form)
    _payment_choices(offset_form)
    answers = survey.responses(db.session, item)
    base = current_app.config["BASE_URL"]
    member = organisations.membership(db.session, item.organisation, current_user)
    return render_template(
        "events/manage.html",
        event=item,
        state=offset_state.of(db.session, item),
        refund_offer=surplus.offer(db.session, item),
        is_owner=member is not None and member.role is MemberRole.OWNER,
        refunds=surplus.refunds_of(db.session, item),
        estimate_form=estimate_form,
        trueup_form=trueup_form,
        offset_form=offset_form,
        answers=answers,
        survey_url=base + url_for(".survey_form", code=item.code),
        short_url=report.survey_qr_text(base, item.code),
        can_true_up=today() >= item.ends_on,
        difference=report.difference(item),
        ticket_counts=tickets.count(db.session, item),
        ticket_max=tickets.MAX_PER_BATCH,
        ticket_slips_max=report.MAX_SLIPS,
        trueup_min_answers=trueup.MIN_ANSWERS,
        trueup_min_rate=percent(trueup.MIN_RATE),
    )


@bp.post("/events/<code>/estimate")
@login_required
def set_estimate(code: str):
    item = _member_event(code)
    form = CalculationChoiceForm(prefix="estimate")
    _calculation_choices(form)
    if not form.validate_on_submit():
        flash(_("Please choose one of your saved event calculations."), "error")
        return redirect(url_for(".manage", code=item.code))
    attempt(
        lambda: records.attach_estimate(
            db.session,
            item,
            footprint_records.get_visible(db.session, form.calculation.data, current_user),
            actor=current_user,
        ),
        _("The estimate is attached to the event."),
    )
    return redirect(url_for(".manage", code=item.code))


@bp.post("/events/<code>/true-up")
@login_required
def true_up(code: str):
    item = _member_event(code)
    form = TrueUpForm(prefix="actual")
    _calculation_choices(form)
    if not form.validate_on_submit():
        flash(_("Please choose one of your saved event calculations."), "error")
        return redirect(url_for(".manage", code=item.code))
    attempt(
        lambda: trueup.record(
            db.session,
            item,
            footprint_records.get_visible(db.session, form.calculation.data, current_user),
            actor=current_user,
            use_survey=bool(form.use_survey.data),
            today=today(),
        ),
        _("The actual footprint replaces the estimate."),
    )
    return redirect(url_for(".manage", code=item.code))


@bp.post("/events/<code>/survey-state")
@login_required
def survey_state(code: str):
    item = _member_event(code)
    form = FlaskForm()
    if form.validate_on_submit():
        is_open = request.form.get("open") == "1"
        attempt(
            lambda: records.set_survey_open(db.session, item, actor=current_user, is_open=is_open),
            _("The survey is open.") if is_open else _("The survey is closed."),
        )
    return redirect(url_for(".manage", code=item.code))


@bp.post("/events/<code>/offset")
@login_required
def offset(code: str):
    """The organiser's offset: first the price (project, vintages, total) with nothing
    reserved, as on /offset; the order is opened only from that page's confirm button."""
    item = _member_event(code)
    form = EventOffsetForm()
    _payment_choices(form)
    if not form.validate_on_submit():
        flash(_("Please choose how to pay."), "error")
        return redirect(url_for(".manage", code=item.code))
    if "confirm" not in request.form:
        try:
            quote = offsets.quote(db.session, item, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for(".manage", code=item.code))
        return render_template(
            "events/offset_quote.html",
            event=item,
            form=form,
            quote=quote,
            state=offset_state.of(db.session, item),
        ), (200 if quote is not None else 409)
    order = attempt(
        lambda: offsets.start(
            db.session,
            item,
            actor=current_user,
            method=PaymentMethod(form.method.data),
            locale=order_locale(),
            config=current_app.config,
            return_urls=checkout_fields.return_urls,
            client=checkout_fields.buyer_client(),
        )
    )
    if order is not None:
        return redirect(url_for("orders.detail", ref=order.ref))
    return redirect(url_for(".manage", code=item.code))


# ---- printouts and reports ----------------------------------------------------------


def _download(data: bytes, mimetype: str, filename: str, inline: bool = False) -> Response:
    response = Response(data, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/events/<code>/poster.pdf")
@login_required
def poster(code: str):
    item = _member_event(code)
    base = current_app.config["BASE_URL"]
    data = report.render_poster(item, base)
    return _download(data, "application/pdf", f"{item.code}-survey-poster.pdf", inline=True)


@bp.get("/events/<code>/report.csv")
@login_required
def report_csv(code: str):
    item = _member_event(code)
    text = report.csv_report(db.session, item, current_app.config["BASE_URL"])
    return _download(text.encode("utf-8-sig"), "text/csv", f"{item.code}-report.csv")


@bp.get("/events/<code>/report.pdf")
@login_required
def report_pdf(code: str):
    item = _member_event(code)
    if item.footprint_kg is None:
        abort(404)
    data = report.render_report(db.session, item, current_app.config["BASE_URL"])
    return _download(data, "application/pdf", f"{item.code}-report.pdf")
