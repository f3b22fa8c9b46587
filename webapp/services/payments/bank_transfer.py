"""Bank transfer (对公转账): one staff member records the receipt, another confirms it.

Recording states what arrived on our account statement (amount and the bank's reference);
confirmation by a second person is the provider confirmation that fulfils the order.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, Forbidden
from webapp.models import Order, OrderStatus, PaymentMethod, User
from webapp.models.base import utcnow
from webapp.services import audit, orders, quantities
from webapp.services.payments import fulfilment
from webapp.services.signing import SigningKey


def _transfer_order(session: Session, order: Order) -> Order:
    order = orders.lock(session, order)
    if order.method is not PaymentMethod.BANK_TRANSFER:
        raise Conflict(_l("This order is not paid by bank transfer."))
    return order


def record_receipt(
    session: Session,
    order: Order,
    *,
    amount_text: str,
    reference: str,
    actor: User,
    now: datetime | None = None,
) -> Order:
    now = now or utcnow()
    order = _transfer_order(session, order)
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        raise Conflict(_l("This order is not waiting for a transfer."))
    if order.transfer_recorded_by_id is not None:
        raise Conflict(_l("A receipt is already recorded for this order."))
    try:
        amount = quantities.to_decimal(amount_text, thousands=True, unit="yuan")
    except quantities.InvalidQuantity:
        raise DomainError(_l("Please enter the amount received, e.g. 1200.00.")) from None
    if amount != order.amount:
        raise DomainError(
            _l(
                "The amount received (%(got)s) is not the order's amount (%(want)s); "
                "contact the payer instead of confirming.",
                got=amount_text.strip()[:20],
                want=order.amount,
            )
        )
    reference = (reference or "").strip()
    if not reference or len(reference) > 80:
        raise DomainError(
            _l("Please enter the bank's transaction reference (at most 80 characters).")
        )
    order.transfer_amount = amount
    order.transfer_reference = reference
    order.transfer_recorded_by_id = actor.id
    order.transfer_recorded_at = now
    audit.record(
        session,
        "transfer.recorded",
        actor=actor,
        subject=order,
        ref=order.ref,
        amount=str(amount),
        reference=reference,
    )
    return order


def confirm_receipt(
    session: Session,
    order: Order,
    *,
    actor: User,
    key: SigningKey,
    now: datetime | None = None,
) -> fulfilment.Fulfilment:
    now = now or utcnow()
    order = _transfer_order(session, order)
    if order.status is OrderStatus.PAID:
        return fulfilment.Fulfilment(order, fulfilment.certificate_of(session, order), False)
    if order.transfer_recorded_by_id is None:
        raise Conflict(_l("Record the receipt before confirming it."))
    if order.transfer_recorded_by_id == actor.id:
        raise Forbidden(_l("A second staff member must confirm the receipt you recorded."))
    order.transfer_confirmed_by_id = actor.id
    order.transfer_confirmed_at = now
    audit.record(session, "transfer.confirmed", actor=actor, subject=order, ref=order.ref)
    return fulfilment.fulfil(
        session,
        order,
        payment_id=f"bank:{order.transfer_reference}",
        key=key,
        source="bank_transfer",
        now=now,
    )
