"""The surplus after a true-up below what the organiser retired, refunded (多退).

When the actual footprint is smaller than what the organiser's orders retired, the
organisation's owner may take the surplus back: the last kilograms of the most recent
organiser order return to the registry (a partial reversal naming only those serials),
the payer gets the order's price for them pro rata (:mod:`payments.partial_refunds`),
and the order's event certificate is revoked and re-issued for the tonnes that remain.
A surplus larger than the most recent order refunds that order in full; what is left is
offered again, from the order before it.

Every refund recomputes the coverage (attendees' offsets counted as in :mod:`coverage`)
while the event's paid organiser orders are locked, so two clicks, a replayed form or two
owners at once give one refund, and nothing ever leaves the footprint uncovered. Card
and demo payments are refunded at once; a bank-transfer payment becomes a request that
staff complete when they have sent the money back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict
from webapp.models import (
    Certificate,
    CertificateStatus,
    Event,
    MemberRole,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, orders
from webapp.services.certificates import issuing
from webapp.services.certificates.coverage import allocation_runs, slice_runs
from webapp.services.certificates.token import CertificateKind
from webapp.services.certificates.verification import SUPERSEDED
from webapp.services.events import offset_state, organisations
from webapp.services.messages import PartialRefundMade
from webapp.services.payments import partial_refunds, refunds
from webapp.services.payments.providers import PaymentProvider
from webapp.services.signing import SigningKey
from webapp.unit_of_work import after_commit


@dataclass(frozen=True)
class Offer:
    """What a refund of the surplus would do now."""

    order: Order
    kg: int  # returned from the end of the order's serials
    amount: Decimal
    serials: tuple[str, ...]  # the serial ranges that would return
    surplus_kg: int  # the whole surplus (may span more than this order)

    @property
    def whole_order(self) -> bool:
        return self.kg == self.order.retained_kg

    @property
    def by_transfer(self) -> bool:
        return self.order.method is PaymentMethod.BANK_TRANSFER


@dataclass(frozen=True)
class SurplusRefundOutcome:
    result: str  # refunded | requested | nothing
    order: Order | None = None
    kg: int = 0
    amount: Decimal = Decimal("0.00")
    certificate: Certificate | None = None  # the re-issued event certificate


def offer(session: Session, event: Event) -> Offer | None:
    """The refund the owner may ask for now, or None (no true-up yet, or no surplus)."""
    if event.actual_kg is None:
        return None
    state = offset_state.of(session, event)
    if state.surplus_kg == 0 or not state.organiser:
        return None
    # Contributions come in payment order: the most recent organiser order gives first.
    order = orders.find(session, state.organiser[-1].order_ref)
    if order is None or order.allocation is None:
        return None
    kg = min(state.surplus_kg, order.retained_kg)
    runs = allocation_runs(order.allocation)
    tail = slice_runs(runs, sum(r.quantity_kg for r in runs) - kg, kg)
    return Offer(
        order=order,
        kg=kg,
        amount=partial_refunds.amount_for(order, kg),
        serials=tuple(run.label for run in tail),
        surplus_kg=state.surplus_kg,
    )


def refunds_of(session: Session, event: Event) -> list[Order]:
    """The event's organiser orders with money refunded or a refund request open."""
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.event_id == event.id,
                Order.kind == OrderKind.EVENT,
                (Order.refunded_kg > 0) | Order.refund_requested_kg.is_not(None),
            )
            .order_by(Order.id)
        )
    )


def _lock_organiser_orders(session: Session, event: Event) -> None:
    """Lock the event's paid organiser orders (id order, so lockers never deadlock) and
    reload them, so the coverage computed next sees every refund committed before."""
    list(
        session.scalars(
            select(Order)
            .where(
                Order.event_id == event.id,
                Order.kind == OrderKind.EVENT,
                Order.status == OrderStatus.PAID,
            )
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _check_owner(session: Session, event: Event, actor: User) -> None:
    member = organisations.membership(session, event.organisation, actor)
    if member is None or member.role is not MemberRole.OWNER:
        raise Conflict(_l("Only an owner of the organisation can ask for a refund."))


def refund(
    session: Session,
    event: Event,
    *,
    actor: User,
    provider_for: Callable[[PaymentMethod], PaymentProvider | None],
    key: SigningKey,
    expected_kg: int | None,
    staff: bool = False,
    bank_reference: str = "",
    now: datetime | None = None,
) -> SurplusRefundOutcome:
    """Refund the surplus from the most recent organiser order (or, for a bank-transfer
    order asked by its owner, open a request for staff).

    ``expected_kg`` is what the confirmation page showed: if the surplus changed since
    (another refund, a top-up), nothing happens and the owner is asked to look again.
    """
    now = now or utcnow()
    if not staff:
        _check_owner(session, event, actor)
    _lock_organiser_orders(session, event)
    found = offer(session, event)
    if found is None:
        return SurplusRefundOutcome("nothing")
    if expected_kg is not None and found.kg != expected_kg:
        raise Conflict(_l("The refundable surplus has changed: please check it again."))
    order = found.order
    if found.by_transfer and not staff:
        if order.refund_requested_kg != found.kg:
            order.refund_requested_kg = found.kg
            order.refund_requested_at = now
            audit.record(
                session, "event.surplus_refund_requested", actor=actor, subject=order,
                ref=order.ref, quantity_kg=found.kg, amount=str(found.amount),
            )  # fmt: skip
        return SurplusRefundOutcome("requested", order, found.kg, found.amount)
    refund_id = partial_refunds.send_money_back(
        session,
        order,
        found.kg,
        found.amount,
        provider=provider_for(order.method),
        bank_reference=bank_reference,
    )
    reason = f"surplus after the true-up of event {event.code}"
    if found.whole_order:
        refunds.apply_refund(
            session, order, reason=reason, actor=actor, refund_id=refund_id, now=now
        )
        certificate = None
    else:
        partial_refunds.apply_partial(
            session, order, found.kg, amount=found.amount, refund_id=refund_id,
            reason=reason, actor=actor, now=now,
        )  # fmt: skip
        certificate = _reissue(session, order, event, key=key, actor=actor, now=now)
    audit.record(
        session, "event.surplus_refunded", actor=actor, subject=event, ref=order.ref,
        quantity_kg=found.kg, amount=str(found.amount),
        certificate=certificate.public_id if certificate else None,
    )  # fmt: skip
    after_commit(
        session,
        PartialRefundMade(
            order.id, str(found.amount), found.kg, certificate.id if certificate else None
        ),
    )
    return SurplusRefundOutcome("refunded", order, found.kg, found.amount, certificate)


def _reissue(
    session: Session, order: Order, event: Event, *, key: SigningKey, actor: User, now: datetime
) -> Certificate:
    """Revoke the order's event certificate and issue one for the tonnes that remain."""
    share = offset_state.of(session, event).organiser_share_kg
    # The new certificate states the organiser's share of the actual footprint.
    order.event_cover_kg = min(order.event_cover_kg or share, share)
    old = list(
        session.scalars(
            select(Certificate).where(
                Certificate.order_id == order.id,
                Certificate.parent_id.is_(None),
                Certificate.status == CertificateStatus.VALID,
            )
        )
    )
    new = issuing.issue(
        session,
        key=key,
        kind=CertificateKind.EVENT,
        holder_name=order.beneficiary_name,
        privacy=order.privacy,
        locale=order.locale,
        owner=order.user,
        quantity_kg=order.retained_kg,
        order_id=order.id,
        allocation_id=order.allocation_id,
        now=now,
    )
    new.event_cover_kg = order.event_cover_kg
    for certificate in old:
        issuing.revoke(
            session, certificate, reason=f"{SUPERSEDED}: {new.public_id}", actor=actor, now=now
        )
    return new
