"""Admin: orders with filters and CSV, refunds, bank-transfer receipts (four eyes)."""

from __future__ import annotations

import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, or_, select

from webapp.blueprints.admin import bp
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import money
from webapp.labels import label
from webapp.localtime import local_iso
from webapp.models import Event, Order, OrderKind, OrderStatus, PaymentMethod, User
from webapp.services import csv_export, keys, orders
from webapp.services.events import surplus
from webapp.services.payments import bank_transfer, fulfilment, gateway, refunds
from webapp.unit_of_work import committing
from webapp.web.refunds import refund_outcome_message

PAGE_SIZE = 100


def _what(order) -> str:
    """The project of an offset, the site and plots of a sponsorship, or the site of a
    donation (捐资造林)."""
    if order.project is not None:
        return order.project.code
    if order.kind is OrderKind.DONATION and order.site is not None:
        return f"{order.site.code}: {label(order.kind)}"
    if order.site is not None:
        return f"{order.site.code}: {' '.join(i.plot.code for i in order.plot_items)}"
    return ""


# The export's columns, in the reader's language (no internal names in what staff open).
CSV_COLUMNS = [
    _l("Order"),
    _l("Created"),
    _l("Status"),
    _l("Payment"),
    _l("Buyer's e-mail"),
    _l("Project or plots"),
    _l("Quantity (kg)"),
    _l("Amount"),
    _l("Currency"),
    _l("Beneficiary as published"),
    _l("Purpose"),
    _l("Invoice title"),
    _l("Tax number"),
    _l("Paid"),
    _l("Refunded on"),
    _l("Refund reason"),
    _l("Certificate"),
    _l("Problem"),
    _l("Refunded amount"),
    _l("Refunded (kg)"),
    _l("Refund requested (kg)"),
]


def _filtered() -> Select:
    query = select(Order).join(User, Order.user_id == User.id)
    status = request.args.get("status", "")
    if status in {s.value for s in OrderStatus}:
        query = query.where(Order.status == OrderStatus(status))
    kind = request.args.get("kind", "")
    if kind in {k.value for k in OrderKind}:
        query = query.where(Order.kind == OrderKind(kind))
    method = request.args.get("method", "")
    if method in {m.value for m in PaymentMethod}:
        query = query.where(Order.method == PaymentMethod(method))
    if request.args.get("problem"):
        query = query.where(Order.problem.is_not(None))
    if request.args.get("refund_requested"):
        query = query.where(Order.refund_requested_kg.is_not(None))
    q = request.args.get("q", "").strip()[:120]
    if q:
        query = query.where(or_(Order.ref == q.upper(), User.email == q.lower()))
    return query.order_by(Order.created_at.desc(), Order.id.desc())


@bp.get("/orders")
def orders_index():
    items = db.session.scalars(_filtered().limit(PAGE_SIZE)).all()
    return render_template(
        "admin/orders.html",
        orders=items,
        statuses=list(OrderStatus),
        kinds=list(OrderKind),
        methods=list(PaymentMethod),
        args=request.args,
    )


@bp.get("/orders.csv")
def orders_csv():
    buffer = io.StringIO()
    writer = csv_export.writer(buffer)
    writer.writerow([str(c) for c in CSV_COLUMNS])
    for order in db.session.scalars(_filtered()):
        certificate = fulfilment.certificate_of(db.session, order)
        row = [
            order.ref,
            local_iso(order.created_at),
            label(order.status),
            label(order.method),
            order.user.email,
            _what(order),
            order.quantity_kg,
            f"{order.amount:.2f}",
            order.currency,
            order.allocation.beneficiary_public if order.allocation else "",
            label(order.purpose),
            order.invoice_title or "",
            order.invoice_tax_id or "",
            local_iso(order.paid_at),
            local_iso(order.refunded_at),
            order.refund_reason or "",
            certificate.public_id if certificate else "",
            order.problem or "",
            f"{order.refunded_amount:.2f}",
            order.refunded_kg,
            order.refund_requested_kg or "",
        ]
        writer.writerow(row)
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=tanhui-orders.csv"},
    )


def _order(ref: str) -> Order:
    order = orders.find(db.session, ref) if len(ref) <= 16 else None
    if order is None:
        abort(404)
    return order


def _event_of(order: Order) -> Event | None:
    if order.kind is not OrderKind.EVENT or order.event_id is None:
        return None
    return db.session.get(Event, order.event_id)


def _surplus_offer(order: Order) -> surplus.Offer | None:
    """The event surplus refund that would come from this order, if any."""
    event = _event_of(order)
    if event is None:
        return None
    found = surplus.offer(db.session, event)
    return found if found is not None and found.order.id == order.id else None


@bp.get("/orders/<ref>")
def order_detail(ref: str):
    order = _order(ref)
    return render_template(
        "admin/order.html",
        order=order,
        surplus_offer=_surplus_offer(order),
        certificate=fulfilment.certificate_of(db.session, order),
        recorder=db.session.get(User, order.transfer_recorded_by_id)
        if order.transfer_recorded_by_id
        else None,
    )


def _done(ref: str, message: str):
    flash(message, "success")
    return redirect(url_for(".order_detail", ref=ref))


def _failed(ref: str, exc: DomainError):
    flash(str(exc.message), "error")
    return redirect(url_for(".order_detail", ref=ref)), 303


def _confirm_page(**context):
    """The confirmation page every staff refund and revocation shows before acting."""
    return render_template("admin/confirm.html", **context)


@bp.post("/orders/<ref>/refund")
def order_refund(ref: str):
    order = _order(ref)
    if request.form.get("confirmed") != "1":
        # First press: say what the refund would return and revoke; act only on the
        # confirmation page's button.
        try:
            reason = refunds.check_reason(request.form.get("reason", ""))
        except DomainError as exc:
            return _failed(ref, exc)
        if order.status is not OrderStatus.PAID:
            flash(_("Only paid orders can be refunded."), "error")
            return redirect(url_for(".order_detail", ref=ref)), 303
        effects = refunds.refund_consequences(db.session, order)
        return _confirm_page(
            title=_("Refund order %(ref)s?", ref=order.ref),
            intro=_(
                "The money goes back to the payer, the serials return to the registry "
                "(a reversal entry in the public ledger) and the certificates are revoked. "
                "This cannot be undone."
            ),
            effects=effects,
            serials_title=_("Serials returned to the registry"),
            reason=reason,
            action=url_for(".order_refund", ref=order.ref),
            hidden={"reason": reason},
            confirm_label=_("Refund %(amount)s", amount=money(effects.amount)),
            cancel_url=url_for(".order_detail", ref=order.ref),
        )
    provider = gateway.provider_for(current_app.config, order.method)
    try:
        with committing(db.session):
            refunds.refund_order(
                db.session,
                order,
                reason=request.form.get("reason", ""),
                actor=current_user,
                provider=provider,
            )
    except DomainError as exc:
        return _failed(ref, exc)
    return _done(
        ref, _("The order was refunded, the retirement reversed and the certificate revoked.")
    )


@bp.post("/orders/<ref>/surplus-refund")
def order_surplus_refund(ref: str):
    """Staff refund an event's surplus from this order: a card or demo payment through
    the provider, a bank-transfer payment (the owner's request, or staff's own initiative)
    once they have sent the money back, recording the bank reference."""
    order = _order(ref)
    event = _event_of(order)
    if event is None:
        abort(404)
    expected = request.form.get("expected_kg", "")
    if not expected.isdigit():
        flash(_("The refund to confirm is missing."), "error")
        return redirect(url_for(".order_detail", ref=ref)), 303
    if request.form.get("confirmed") != "1":
        offer = _surplus_offer(order)
        if offer is None or offer.kg != int(expected):
            flash(_("The refund to confirm is missing."), "error")
            return redirect(url_for(".order_detail", ref=ref)), 303
        current = refunds.refund_consequences(db.session, order)
        effects = refunds.Consequences(
            amount=offer.amount,
            quantity_kg=offer.kg,
            serials=offer.serials,
            certificates=current.certificates,
        )
        return _confirm_page(
            title=_("Refund the event's surplus from order %(ref)s?", ref=order.ref),
            intro=_(
                "The money for the surplus goes back to the payer, those serials return to "
                "the registry, and the event certificate is revoked and re-issued for the "
                "tonnes that remain."
            ),
            effects=effects,
            serials_title=_("Serials returned to the registry"),
            reason="",
            action=url_for(".order_surplus_refund", ref=order.ref),
            hidden={"expected_kg": expected, "reference": request.form.get("reference", "")},
            confirm_label=_("Refund %(amount)s", amount=money(offer.amount)),
            cancel_url=url_for(".order_detail", ref=order.ref),
        )
    key, _keyring = keys.signing(current_app.config)
    try:
        with committing(db.session):
            outcome = surplus.refund(
                db.session,
                event,
                actor=current_user,
                provider_for=lambda method: gateway.provider_for(current_app.config, method),
                key=key,
                expected_kg=int(expected),
                staff=True,
                bank_reference=request.form.get("reference", ""),
            )
    except DomainError as exc:
        return _failed(ref, exc)
    message, category = refund_outcome_message(outcome)
    flash(message, category)
    return redirect(url_for(".order_detail", ref=ref))


@bp.post("/orders/<ref>/transfer/record")
def transfer_record(ref: str):
    order = _order(ref)
    try:
        with committing(db.session):
            bank_transfer.record_receipt(
                db.session,
                order,
                amount_text=request.form.get("amount", ""),
                reference=request.form.get("reference", ""),
                actor=current_user,
            )
    except DomainError as exc:
        return _failed(ref, exc)
    return _done(ref, _("Receipt recorded. A second staff member must now confirm it."))


@bp.post("/orders/<ref>/transfer/confirm")
def transfer_confirm(ref: str):
    order = _order(ref)
    key, _keyring = keys.signing(current_app.config)
    try:
        with committing(db.session):
            bank_transfer.confirm_receipt(db.session, order, actor=current_user, key=key)
    except DomainError as exc:
        return _failed(ref, exc)
    if order.kind is OrderKind.PLOT:
        return _done(
            ref, _("Transfer confirmed: the plots are sponsored and the certificates issued.")
        )
    if order.kind is OrderKind.DONATION:
        return _done(ref, _("Transfer confirmed: the donation is recorded."))
    return _done(ref, _("Transfer confirmed: the credits are retired and the certificate issued."))
