"""Refunds: provider refund → registry reversal (冲正) → certificate revoked, together.

``refund_order`` (an admin's action) asks the provider first, inside the transaction that
holds the order's lock: if the provider refuses, nothing changes; if our commit were lost
after the provider refunded, the provider's ``charge.refunded`` event applies the same
``apply_refund`` later, and the idempotency key stops a second refund on a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import (
    AllocationState,
    Certificate,
    CertificateStatus,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, orders
from webapp.services.certificates import issuing
from webapp.services.payments.providers import PaymentProvider, ProviderError
from webapp.services.plots import sponsorship
from webapp.services.registry import allocation as allocations
from webapp.services.registry.serials import format_range

MAX_REASON = 200


def apply_refund(
    session: Session,
    order: Order,
    *,
    reason: str,
    actor: User | None,
    refund_id: str | None,
    now: datetime | None = None,
) -> bool:
    """Reverse the retirement and revoke the certificate of a paid order. False if done."""
    now = now or utcnow()
    order = orders.lock(session, order)
    if order.status is OrderStatus.REFUNDED:
        return False
    if order.status is not OrderStatus.PAID:
        # A refund of a payment we never applied (e.g. flagged unfulfillable): record it.
        order.problem = None if order.problem is None else "refunded at the provider"
        audit.record(session, "order.refund_unapplied", actor=actor, subject=order, ref=order.ref)
        return False
    # The certificates stop standing first (their ``revocation`` entry), then the serials
    # or plots return: the ledger reads in the order a reader expects.
    for certificate in session.scalars(
        select(Certificate).where(Certificate.order_id == order.id, Certificate.parent_id.is_(None))
    ):
        issuing.revoke(session, certificate, reason=f"refunded: {reason}"[:200], actor=actor)
    if order.allocation is not None and order.allocation.state is AllocationState.RETIRED:
        allocations.reverse(session, order.allocation, reason=f"refund {order.ref}", actor=actor)
    if order.kind is OrderKind.PLOT:
        sponsorship.withdraw(session, order, reason=reason, actor=actor, now=now)
    # An order of duty.DUTY_ORDER_KINDS (a sponsorship, a donation) stops counting toward
    # the tree-planting duty here: the duty record reads only paid orders and the plots
    # still sponsored.
    order.status = orders.order_transition(order.status, OrderStatus.REFUNDED)
    order.refunded_at = now
    # Whatever partial refunds came before, the order is now refunded in full.
    order.refunded_amount = order.amount
    order.refunded_kg = order.quantity_kg
    order.refund_requested_kg = None
    order.refund_requested_at = None
    order.refund_reason = reason[:MAX_REASON]
    order.refunded_by_id = actor.id if actor is not None else None
    if refund_id:
        order.provider_refund_id = refund_id
    audit.record(
        session, "order.refunded", actor=actor, subject=order, ref=order.ref, reason=reason
    )
    return True


def check_reason(reason: str | None) -> str:
    """A staff refund's reason, trimmed; DomainError if missing or too long."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise DomainError(_l("Please give a reason for the refund (at most 200 characters)."))
    return reason


def refund_order(
    session: Session,
    order: Order,
    *,
    reason: str,
    actor: User,
    provider: PaymentProvider | None,
    now: datetime | None = None,
) -> Order:
    """An admin refunds a paid order in full."""
    reason = check_reason(reason)
    order = orders.lock(session, order)
    if order.status is OrderStatus.REFUNDED:
        return order
    if order.status is not OrderStatus.PAID:
        raise Conflict(_l("Only paid orders can be refunded."))
    if order.method is PaymentMethod.BANK_TRANSFER:
        # The money goes back by transfer from our account; staff record that they sent it.
        refund_id = "bank-transfer"
    else:
        if provider is None:
            raise Conflict(_l("The payment provider of this order is not configured."))
        try:
            refund_id = provider.refund(session, order)
        except ProviderError as exc:
            raise Conflict(
                _l("The payment provider refused the refund: %(error)s", error=str(exc)[:200])
            ) from exc
    apply_refund(session, order, reason=reason, actor=actor, refund_id=refund_id, now=now)
    return order


@dataclass(frozen=True)
class Consequences:
    """What a staff action would change, shown on its confirmation page before acting:
    the money returned, the kilograms and serial ranges that go back to the registry and
    the certificates that stop standing (a certificate's personal shares included)."""

    amount: Decimal  # money returned (0 for a revocation alone)
    quantity_kg: int  # kilograms returned to the registry (0 if none)
    serials: tuple[str, ...]  # serial ranges returned (or, for a revocation, named)
    certificates: tuple[str, ...]  # public ids of the certificates revoked
    plots: tuple[str, ...] = ()  # plots released (a sponsorship refund)


def _standing_certificates(session: Session, roots: list[Certificate]) -> tuple[str, ...]:
    ids = [c.id for c in roots]
    children = (
        session.scalars(
            select(Certificate.public_id).where(
                Certificate.parent_id.in_(ids), Certificate.status == CertificateStatus.VALID
            )
        ).all()
        if ids
        else []
    )
    return tuple(
        [c.public_id for c in roots if c.status is CertificateStatus.VALID] + sorted(children)
    )


def _held_serials(order: Order) -> tuple[str, ...]:
    allocation = order.allocation
    if allocation is None or allocation.state is not AllocationState.RETIRED:
        return ()
    return tuple(
        format_range(allocation.project.code, r.issuance.vintage, r.first, r.last)
        for r in allocation.current_ranges
    )


def refund_consequences(session: Session, order: Order) -> Consequences:
    """What :func:`refund_order` would do to a paid ``order`` (nothing is changed)."""
    roots = list(
        session.scalars(
            select(Certificate).where(
                Certificate.order_id == order.id, Certificate.parent_id.is_(None)
            )
        )
    )
    return Consequences(
        amount=order.amount - order.refunded_amount,
        quantity_kg=order.quantity_kg - order.refunded_kg,
        serials=_held_serials(order),
        certificates=_standing_certificates(session, roots),
        plots=tuple(i.plot.code for i in order.plot_items) if order.kind is OrderKind.PLOT else (),
    )


def revocation_consequences(session: Session, certificate: Certificate) -> Consequences:
    """What revoking ``certificate`` would do: it and its personal shares stop standing;
    no money moves and its serials stay retired (a refund returns both)."""
    order = session.get(Order, certificate.order_id) if certificate.order_id else None
    return Consequences(
        amount=Decimal(0),
        quantity_kg=0,
        serials=_held_serials(order) if order is not None else (),
        certificates=_standing_certificates(session, [certificate]),
    )
