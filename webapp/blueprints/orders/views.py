from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.blueprints.orders import bp
from webapp.extensions import db
from webapp.models import Order, OrderKind, OrderStatus, PaymentMethod
from webapp.services import orders
from webapp.services.certificates.qr import make_screen_qr
from webapp.services.payments import fulfilment, gateway
from webapp.services.payments.providers import ProviderError
from webapp.unit_of_work import committing

PAGE_SIZE = 50


def _visible(ref: str) -> Order:
    """The order if the current user may see it; 404 otherwise (never 403: no oracle)."""
    order = orders.find(db.session, ref) if len(ref) <= 16 else None
    if order is None or (order.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    return order


@bp.get("/")
@login_required
def index():
    items = db.session.scalars(
        select(Order)
        .where(Order.user_id == current_user.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    certificates = {o.id: fulfilment.certificates_of(db.session, o) for o in items}
    return render_template("orders/index.html", orders=items, certificates=certificates)


@bp.get("/<ref>")
@login_required
def detail(ref: str):
    order = _visible(ref)
    config = current_app.config
    demo_account = bool(config.get("BANK_DEMO")) and not config.get("BANK_ACCOUNT_NUMBER")
    if demo_account and order.method is PaymentMethod.BANK_TRANSFER:
        # The customer sees a neutral notice; staff learn what to configure from the log
        # and from the admin orders page.
        current_app.logger.warning(
            "bank transfer page shown with the demonstration account: set "
            "BANK_ACCOUNT_NAME, BANK_NAME and BANK_ACCOUNT_NUMBER"
        )
    wechat_qr = None
    if (
        order.method is PaymentMethod.WECHAT_PAY
        and order.status is OrderStatus.PENDING
        and (order.checkout_url or "").startswith("weixin://")
    ):
        # WeChat Pay Native: the buyer scans this with WeChat; the page polls the status.
        wechat_qr = make_screen_qr(order.checkout_url or "").svg(50)
    return render_template(
        "orders/detail.html",
        order=order,
        wechat_qr=wechat_qr,
        certificates=fulfilment.certificates_of(db.session, order),
        bank={
            "name": config.get("BANK_ACCOUNT_NAME") or _("Tanhui platform (demonstration)"),
            "bank": config.get("BANK_NAME") or _("Demonstration bank"),
            "number": config.get("BANK_ACCOUNT_NUMBER") or "0000 0000 0000 0000",
            "demo": demo_account,
        },
    )


@bp.get("/<ref>/status")
@login_required
def status(ref: str):
    """The order's status, for the page that waits for a WeChat Pay scan (it only reads)."""
    order = _visible(ref)
    return jsonify(ref=order.ref, status=order.status.value)


@bp.post("/<ref>/cancel")
@login_required
def cancel(ref: str):
    order = _visible(ref)
    if order.user_id != current_user.id:
        abort(404)
    provider = gateway.provider_for(current_app.config, order.method)
    if provider is not None and order.provider_session_id and order.status is OrderStatus.PENDING:
        try:
            # Close the checkout first, so nobody can pay for serials we are returning.
            with committing(db.session):
                provider.expire(db.session, order.provider_session_id)
                view = provider.retrieve(db.session, order.provider_session_id)
        except ProviderError:
            flash(_("The payment service could not be reached; please try again."), "error")
            return redirect(url_for(".detail", ref=ref))
        if view.paid:
            flash(_("This order has already been paid; it is being processed."), "info")
            return redirect(url_for(".detail", ref=ref))
    with committing(db.session):
        closed = orders.close_unpaid(db.session, order, OrderStatus.CANCELLED, actor=current_user)
    if closed:
        if order.kind is OrderKind.PLOT:
            message = _("The order was cancelled and the plots released.")
        elif order.kind is OrderKind.DONATION:
            message = _("The order was cancelled. Nothing was charged.")
        else:
            message = _("The order was cancelled and the credits returned.")
        flash(message, "success")
    return redirect(url_for(".detail", ref=ref))


@bp.get("/<ref>/return")
@login_required
def returned(ref: str):
    """Where the provider sends the buyer back. It only reads: webhooks settle payments."""
    order = _visible(ref)
    if order.status is OrderStatus.PAID:
        flash(_("Payment confirmed. Thank you!"), "success")
        return redirect(url_for(".detail", ref=ref))
    return render_template("orders/processing.html", order=order)


@bp.get("/<ref>/receipt")
@login_required
def receipt(ref: str):
    order = _visible(ref)
    if order.paid_at is None:
        abort(404)
    return render_template(
        "orders/receipt.html",
        order=order,
        certificates=fulfilment.certificates_of(db.session, order),
    )
