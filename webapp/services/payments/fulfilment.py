"""Fulfilment: a confirmed payment becomes a retirement and a certificate, exactly once.

Callers have verified the confirmation (signature, re-fetched amount and currency, or two
staff members). Under the order's row lock a second confirmation finds it paid and does
nothing; the registry's own idempotency (``retire`` on a retired allocation) backs that up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict
from webapp.models import (
    AllocationState,
    Certificate,
    Order,
    OrderKind,
    OrderStatus,
)
from webapp.models.base import utcnow
from webapp.services import audit, orders
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation as allocations
from webapp.services.registry.allocation import Beneficiary
from webapp.services.signing import SigningKey

log = logging.getLogger(__name__)

# What a certificate of each order kind is (plots and events come with their issues).
CERTIFICATE_KINDS = {
    OrderKind.OFFSET: CertificateKind.OFFSET,
    OrderKind.EVENT: CertificateKind.EVENT,  # issue 8: organisers' event orders
}


@dataclass(frozen=True)
class Fulfilment:
    order: Order
    certificate: Certificate | None
    newly_paid: bool


def _beneficiary(order: Order) -> Beneficiary:
    return Beneficiary(
        name=order.beneficiary_name,
        privacy=order.privacy,
        purpose=order.purpose,
        purpose_detail=order.purpose_detail or "",
        case_number=order.case_number or "",
        court=order.court or "",
    )


def _live_allocation(session: Session, order: Order, now: datetime):
    """The order's reservation, or a new one if the hold lapsed before the money came."""
    allocation = order.allocation
    if allocation is not None and allocation.state in (
        AllocationState.RESERVED,
        AllocationState.RETIRED,
    ):
        return allocation
    # The buyer paid after their reservation was returned: reserve again if we still can.
    replacement = allocations.reserve(
        session,
        order.project,
        order.quantity_kg,
        f"{order.ref}-late",
        hold=timedelta(minutes=5),
        now=now,
    )
    if orders.amount_for(orders.reserved_lines(replacement)) > order.amount:
        # Cheaper credits were sold meanwhile; never retire more value than was paid for.
        raise Conflict("the late reservation costs more than was paid")
    order.allocation_id = replacement.id
    order.allocation = replacement
    return replacement


def fulfil(
    session: Session,
    order: Order,
    *,
    payment_id: str | None,
    key: SigningKey,
    source: str,
    now: datetime | None = None,
) -> Fulfilment:
    """Mark a confirmed order paid, retire its serials, issue its certificate. Idempotent."""
    now = now or utcnow()
    order = orders.lock(session, order)
    if order.status is OrderStatus.PAID:
        return Fulfilment(order=order, certificate=certificate_of(session, order), newly_paid=False)
    if order.status is OrderStatus.REFUNDED:
        log.warning("payment confirmation for refunded order %s ignored", order.ref)
        return Fulfilment(order=order, certificate=None, newly_paid=False)
    try:
        allocation = _live_allocation(session, order, now)
    except Conflict:
        # Money taken, credits gone: flag for a refund rather than oversell.
        order.problem = "paid after the reservation lapsed; credits no longer available: refund"
        order.provider_payment_id = payment_id or order.provider_payment_id
        audit.record(session, "order.unfulfillable", subject=order, ref=order.ref, source=source)
        log.error("order %s paid but cannot be fulfilled: needs a refund", order.ref)
        return Fulfilment(order=order, certificate=None, newly_paid=False)
    allocations.retire(session, allocation, _beneficiary(order), now=now)
    order.status = orders.order_transition(order.status, OrderStatus.PAID)
    order.paid_at = now
    order.problem = None
    if payment_id:
        order.provider_payment_id = payment_id
    certificate = issuing.issue(
        session,
        key=key,
        kind=CERTIFICATE_KINDS[order.kind],
        holder_name=order.beneficiary_name,
        privacy=order.privacy,
        locale=order.locale,
        owner=order.user,
        quantity_kg=order.quantity_kg,
        order_id=order.id,
        allocation_id=allocation.id,
        now=now,
    )
    audit.record(
        session,
        "order.paid",
        subject=order,
        ref=order.ref,
        amount=str(order.amount),
        source=source,
        certificate=certificate.public_id,
    )
    return Fulfilment(order=order, certificate=certificate, newly_paid=True)


def certificate_of(session: Session, order: Order) -> Certificate | None:
    """The order's own certificate (not personal shares issued from it)."""
    return session.scalar(
        select(Certificate).where(Certificate.order_id == order.id, Certificate.parent_id.is_(None))
    )
