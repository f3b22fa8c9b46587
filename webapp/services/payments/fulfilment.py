"""Fulfilment: a confirmed payment becomes a retirement and a certificate, exactly once.

Callers have verified the confirmation (signature, re-fetched amount and currency, or two
staff members). Under the order's row lock a second confirmation finds it paid and does
nothing; the registry's own idempotency (``retire`` on a retired allocation) backs that up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict
from webapp.models import (
    AllocationState,
    Certificate,
    CertificateStatus,
    Order,
    OrderKind,
    OrderStatus,
)
from webapp.models.base import utcnow
from webapp.services import audit, orders
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.messages import OrderPaid
from webapp.services.registry import allocation as allocations
from webapp.services.registry.allocation import Beneficiary
from webapp.services.signing import SigningKey
from webapp.unit_of_work import after_commit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fulfilment:
    order: Order
    certificates: tuple[Certificate, ...]
    newly_paid: bool

    @property
    def certificate(self) -> Certificate | None:
        return self.certificates[0] if self.certificates else None


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
        return Fulfilment(
            order=order, certificates=tuple(certificates_of(session, order)), newly_paid=False
        )
    if order.status is OrderStatus.REFUNDED:
        log.warning("payment confirmation for refunded order %s ignored", order.ref)
        return Fulfilment(order=order, certificates=(), newly_paid=False)
    try:
        # A savepoint, so a fulfiller that gives up leaves no half-made reservation behind.
        with session.begin_nested():
            certificates = FULFILLERS[order.kind](session, order, key=key, now=now)
    except Conflict:
        # Money taken, goods gone: flag for a refund rather than oversell.
        order.problem = "paid after the reservation lapsed; no longer available: refund"
        order.provider_payment_id = payment_id or order.provider_payment_id
        audit.record(session, "order.unfulfillable", subject=order, ref=order.ref, source=source)
        log.error("order %s paid but cannot be fulfilled: needs a refund", order.ref)
        return Fulfilment(order=order, certificates=(), newly_paid=False)
    order.status = orders.order_transition(order.status, OrderStatus.PAID)
    order.paid_at = now
    order.problem = None
    if payment_id:
        order.provider_payment_id = payment_id
    audit.record(
        session,
        "order.paid",
        subject=order,
        ref=order.ref,
        amount=str(order.amount),
        source=source,
        certificates=[c.public_id for c in certificates],
    )
    # Receipt and PDFs follow the commit, whichever path paid the order.
    after_commit(session, OrderPaid(order.id))
    return Fulfilment(order=order, certificates=tuple(certificates), newly_paid=True)


def _fulfil_offset(
    session: Session, order: Order, *, key: SigningKey, now: datetime
) -> list[Certificate]:
    """Retire the order's serials for its beneficiary and issue the certificate (an event
    order is an offset for the event and gets an event certificate)."""
    allocation = _live_allocation(session, order, now)
    allocations.retire(session, allocation, _beneficiary(order), now=now)
    certificate = issuing.issue(
        session,
        key=key,
        kind=CertificateKind.EVENT if order.kind is OrderKind.EVENT else CertificateKind.OFFSET,
        holder_name=order.beneficiary_name,
        privacy=order.privacy,
        locale=order.locale,
        owner=order.user,
        quantity_kg=order.quantity_kg,
        order_id=order.id,
        allocation_id=allocation.id,
        now=now,
    )
    if order.kind is OrderKind.EVENT:
        certificate.event_cover_kg = order.event_cover_kg
    return [certificate]


Fulfiller = Callable[..., list[Certificate]]

# How a paid order of each kind is delivered: each raises Conflict, changing nothing,
# when what was paid for is no longer there.
# Plot orders are registered by the memorial-forest domain (plots/registration.py).
FULFILLERS: dict[OrderKind, Fulfiller] = {
    OrderKind.OFFSET: _fulfil_offset,
    OrderKind.EVENT: _fulfil_offset,
}


def register_fulfiller(kind: OrderKind, fulfiller: Fulfiller) -> None:
    """A domain adds how a paid order of its kind is delivered (at app creation)."""
    FULFILLERS[kind] = fulfiller


def certificates_of(session: Session, order: Order) -> list[Certificate]:
    """The order's own certificates (one per plot for sponsorships; no personal shares)."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.order_id == order.id, Certificate.parent_id.is_(None))
            .order_by(Certificate.id)
        )
    )


def certificate_of(session: Session, order: Order) -> Certificate | None:
    """The order's own certificate: the valid one (after a partial refund an event order
    has its revoked certificate and the one re-issued for what remains), else the first."""
    found = certificates_of(session, order)
    valid = [c for c in found if c.status is CertificateStatus.VALID]
    if valid:
        return valid[-1]
    return found[0] if found else None
