"""Donating for planting (捐资造林) at a memorial site: an amount, the donor's name and
whether it is shown, and a payment method; see what it counts for; confirm and pay."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from webapp.blueprints.sponsor import bp
from webapp.blueprints.sponsor.forms import DonateForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.labels import label
from webapp.models import PaymentMethod, Privacy
from webapp.services.payments import checkout
from webapp.services.planting import donations
from webapp.services.plots import queries
from webapp.unit_of_work import committing
from webapp.web.checkout_fields import (
    buyer_client,
    default_method,
    order_locale,
    payment_choices,
    return_urls,
)

OTHER = "other"


def _setup(form: DonateForm) -> None:
    form.preset.choices = [SelectChoice(str(p), f"¥{p}") for p in donations.PRESETS] + [
        SelectChoice(OTHER, _("Another amount"))
    ]
    form.privacy.choices = [SelectChoice(p.value, label(p)) for p in Privacy]
    form.method.choices = payment_choices(current_user)
    if form.method.data is None:
        form.method.data = default_method()


def _amount(form: DonateForm) -> Decimal:
    if form.preset.data != OTHER:
        return Decimal(form.preset.data)
    if form.amount.data is None:
        raise DomainError(_("Please give the amount in yuan, e.g. 60."))
    return donations.check_amount(form.amount.data)


def _request(form: DonateForm, site, amount: Decimal) -> donations.DonationRequest:
    may_invoice = current_user.can_pay_by_transfer
    return donations.DonationRequest(
        site=site,
        amount=amount,
        donor_name=form.donor_name.data or "",
        privacy=Privacy(form.privacy.data),
        method=PaymentMethod(form.method.data),
        locale=order_locale(),
        # Invoice details only from buyers who may be invoiced (organisations).
        invoice_title=(form.invoice_title.data or "") if may_invoice else "",
        invoice_tax_id=(form.invoice_tax_id.data or "") if may_invoice else "",
    )


@bp.route("/sites/<site>/donate", methods=["GET", "POST"])
@login_required
def donate(site: str):
    item = queries.site_by_code(db.session, site)
    if item is None:
        abort(404)
    form = DonateForm()
    _setup(form)
    if request.method == "GET":
        form.donor_name.data = current_user.display_name
        wanted = request.args.get("amount", "")
        form.preset.data = wanted if wanted in {str(p) for p in donations.PRESETS} else "60"
    quote = None
    problem = None
    if form.validate_on_submit():
        try:
            amount = _amount(form)
            donation = _request(form, item, amount)
            if "confirm" in request.form:
                with committing(db.session):
                    order = checkout.start_donation(
                        db.session,
                        user=current_user,
                        order_request=donation,
                        config=current_app.config,
                        return_urls=return_urls,
                        client=buyer_client(),
                    )
                return redirect(url_for("orders.detail", ref=order.ref))
            quote = donations.preview(current_user, donation, current_app.config)
        except DomainError as exc:
            db.session.rollback()
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return (
        render_template(
            "sponsor/donate.html",
            form=form,
            site=item,
            quote=quote,
            example=donations.quote(current_app.config, item, Decimal("60")),
            problem=problem,
            minimum=donations.MIN_AMOUNT,
            maximum=donations.MAX_AMOUNT,
        ),
        status,
    )


@bp.app_template_global()
def donation_quote(order) -> donations.Quote:
    """What a donation order counts for at its site's rule (order pages, the receipt)."""
    return donations.quote(current_app.config, order.site, order.amount)
