"""Partial refunds: part of a paid order's kilograms go back to the registry and the
matching part of the money to the payer (issue 8: the surplus after an event's true-up).

Money is pro rata to what was paid, computed on the *cumulative* kilograms returned and
rounded down to the fen, so rounding never gives back more than was paid, successive
partial refunds never drift, and returning the last kilogram returns exactly what is
left. The provider is asked first (inside the transaction holding the order's lock, as
for full refunds); the registry's partial reversal and the order's refunded totals follow
in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import Order, OrderStatus, PaymentMethod, SerialRange, User
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.payments.providers import PaymentProvider, ProviderError
from webapp.services.planting import duty_revocation
from webapp.services.registry import allocation as allocations

FEN = Decimal("0.01")
MAX_BANK_REFERENCE = 80


def refunded_in_all(order: Order, refunded_kg: int) -> Decimal:
    """The money back in all once ``refunded_kg`` of the order's kilograms are returned."""
    if refunded_kg >= order.quantity_kg:
        return order.amount
    return (order.amount * refunded_kg / order.quantity_kg).quantize(FEN, rounding=ROUND_DOWN)


def amount_for(order: Order, kg: int) -> Decimal:
    """What returning ``kg`` more kilograms of the order gives back now."""
    return refunded_in_all(order, order.refunded_kg + kg) - order.refunded_amount


def idempotency_key(order: Order, kg: int) -> str:
    """One key per step: a retry of the same step is one refund at the provider."""
    return f"refund-{order.ref}-{order.refunded_kg + kg}"


def send_money_back(
    session: Session,
    order: Order,
    kg: int,
    amount: Decimal,
    *,
    provider: PaymentProvider | None,
    bank_reference: str = "",
) -> str:
    """Ask the provider for the refund (or take staff's word for a bank transfer back).

    Returns the provider's refund id; raises Conflict, changing nothing, when refused.
    """
    if order.method is PaymentMethod.BANK_TRANSFER:
        reference = (bank_reference or "").strip()
        if not reference or len(reference) > MAX_BANK_REFERENCE:
            raise DomainError(
                _l("Please give the bank reference of the transfer back (at most 80 characters).")
            )
        return f"bank-transfer:{reference}"
    if provider is None:
        raise Conflict(_l("The payment provider of this order is not configured."))
    try:
        return provider.refund(
            session,
            order,
            amount_fen=int(amount * 100),
            idempotency_key=idempotency_key(order, kg),
        )
    except ProviderError as exc:
        raise Conflict(
            _l("The payment provider refused the refund: %(error)s", error=str(exc)[:200])
        ) from exc


def apply_partial(
    session: Session,
    order: Order,
    kg: int,
    *,
    amount: Decimal,
    refund_id: str,
    reason: str,
    actor: User | None,
    now: datetime | None = None,
) -> list[SerialRange]:
    """Return the order's last ``kg`` serials and record the money that went back.

    The caller holds the order's lock and has asked the provider; the certificate is the
    caller's business (an event certificate is re-issued for what remains).
    """
    now = now or utcnow()
    if order.status is not OrderStatus.PAID or order.allocation is None:
        raise Conflict(_l("Only paid orders can be refunded."))
    if not 0 < kg < order.retained_kg:
        raise DomainError(_l("A partial refund must leave part of the order in place."))
    returned = allocations.reverse_part(
        session, order.allocation, kg, reason=f"partial refund {order.ref}", actor=actor, now=now
    )
    # A duty certificate that counted the order no longer states what stands (today no
    # order kind both counts on the duty record and can be partly refunded).
    duty_revocation.revoke_for_refund(session, order, now=now)
    order.refunded_kg += kg
    order.refunded_amount += amount
    order.refunded_at = now
    order.refund_reason = reason[:200]
    order.refunded_by_id = actor.id if actor is not None else None
    order.provider_refund_id = refund_id
    order.refund_requested_kg = None
    order.refund_requested_at = None
    audit.record(
        session,
        "order.partially_refunded",
        actor=actor,
        subject=order,
        ref=order.ref,
        quantity_kg=kg,
        amount=str(amount),
        refunded_kg=order.refunded_kg,
        refunded_amount=str(order.refunded_amount),
        refund_id=refund_id,
    )
    return returned
