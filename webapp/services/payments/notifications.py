"""One handler for every payment notification (provider event): Stripe webhooks, WeChat Pay
and Alipay notifications, and the demo provider's buttons. ("Notifications", not "events":
zero-carbon events are another domain.)

Steps: the signature was checked by the provider's ``parse_event``; the event id is
recorded once (a repeat is answered 200 and does nothing); events that are not ours are
acknowledged and ignored; checkout sessions are re-fetched from the provider — the
event body is never trusted for money — and amount and currency must match the order
before fulfilment under the order's row lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.models import Order, OrderStatus, PaymentEvent
from webapp.models.base import utcnow
from webapp.services import audit, orders
from webapp.services.payments import fulfilment, refunds
from webapp.services.payments.providers import (
    ASYNC_FAILED,
    ASYNC_SUCCEEDED,
    COMPLETED,
    EXPIRED,
    HANDLED_TYPES,
    REFUND_FAILED,
    REFUNDED,
    PaymentProvider,
    ProviderEvent,
)
from webapp.services.signing import SigningKey

log = logging.getLogger(__name__)


@dataclass
class NotificationOutcome:
    result: str  # fulfilled | already_paid | duplicate | ignored | awaiting | mismatch | …
    order_ref: str | None = None
    paid_order_ids: list[int] = field(default_factory=list)


def _record_once(session: Session, provider: str, event: ProviderEvent) -> PaymentEvent | None:
    """Insert the event id; None if it was already recorded (possibly by a racing request)."""
    row = PaymentEvent(provider=provider, event_id=event.id, type=event.type[:64], outcome="new")
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def _order_for(session: Session, event: ProviderEvent, provider: str) -> Order | None:
    if event.type in (REFUNDED, REFUND_FAILED):
        if not event.payment_id:
            return None
        return session.scalar(select(Order).where(Order.provider_payment_id == event.payment_id))
    if not event.session_id:
        return None
    order = session.scalar(select(Order).where(Order.provider_session_id == event.session_id))
    if order is None or order.method.value != provider:
        return None
    return order


def handle(
    session: Session,
    provider: PaymentProvider,
    event: ProviderEvent,
    *,
    key: SigningKey,
    now: datetime | None = None,
) -> NotificationOutcome:
    now = now or utcnow()
    if event.type not in HANDLED_TYPES:
        return NotificationOutcome("ignored")
    order = _order_for(session, event, provider.name)
    if order is None:
        # Another integration's session or payment on the same account: not ours.
        return NotificationOutcome("ignored")
    # The order's row lock first (see orders.lock): concurrent confirmations of one order
    # queue here instead of deadlocking, and each later one finds it paid.
    order = orders.lock(session, order)
    row = _record_once(session, provider.name, event)
    if row is None:
        return NotificationOutcome("duplicate", order.ref)
    row.order_id = order.id
    outcome = _apply(session, provider, event, order, key=key, now=now)
    row.outcome = outcome.result
    return outcome


def _apply(
    session: Session,
    provider: PaymentProvider,
    event: ProviderEvent,
    order: Order,
    *,
    key: SigningKey,
    now: datetime,
) -> NotificationOutcome:
    if event.type in (COMPLETED, ASYNC_SUCCEEDED):
        if event.amount_fen is not None and (
            event.amount_fen != order.amount_fen or (event.currency or "").lower() != "cny"
        ):
            # WeChat Pay and Alipay say in the notice what was paid: a notice that
            # disagrees with the order is not applied, whatever the provider says later.
            if order.status is OrderStatus.PAID:
                return NotificationOutcome("already_paid", order.ref)
            return _mismatch(
                session,
                order,
                f"notified {event.amount_fen} {event.currency}, expected {order.amount_fen} cny",
            )
        return settle(session, provider, order, key=key, source=event.type, now=now)
    if event.type == ASYNC_FAILED:
        changed = orders.close_unpaid(session, order, OrderStatus.FAILED, now=now)
        return NotificationOutcome("failed" if changed else "not_pending", order.ref)
    if event.type == EXPIRED:
        # `expired` after `completed` finds the order paid and changes nothing.
        changed = orders.close_unpaid(session, order, OrderStatus.EXPIRED, now=now)
        return NotificationOutcome("expired" if changed else "not_pending", order.ref)
    if event.type == REFUND_FAILED:
        return _refund_failed(session, event, order)
    return _refunded(session, event, order, now=now)


def _refund_failed(session: Session, event: ProviderEvent, order: Order) -> NotificationOutcome:
    """The provider could not pay a refund back (the buyer's card was closed, …): the
    registry was already reversed, so staff must settle the money by hand."""
    detail = f"refund {event.refund_request_id} not paid out by the provider: settle it by hand"
    order.problem = detail[:200]
    audit.record(
        session,
        "order.refund_failed",
        subject=order,
        ref=order.ref,
        refund_request_id=event.refund_request_id,
    )
    log.error("order %s: %s", order.ref, detail)
    return NotificationOutcome("refund_failed", order.ref)


def _refunded(
    session: Session, event: ProviderEvent, order: Order, *, now: datetime
) -> NotificationOutcome:
    """``charge.refunded``: a refund made at the provider, or the echo of ours.

    ``amount_refunded`` is cumulative. All of the charge refunded is a full refund (done
    once, whoever made it). Less than all is either the echo of our own partial refunds
    (the total we recorded, or an older one arriving late: nothing to do) or a partial
    refund made elsewhere, e.g. in Stripe's dashboard: we cannot tell which serials it
    meant, so the order is flagged for staff instead of guessing.
    """
    refunded, charged = event.refunded_fen, event.charged_fen
    if event.refund_request_id is not None and refunded is not None and charged is not None:
        # A notice about one refund (WeChat Pay), not a running total: ours carry our
        # idempotency keys (refund-<ref>…). A partial one of ours is known; anything else
        # short of the whole payment was made elsewhere.
        ours = event.refund_request_id.startswith(f"refund-{order.ref}")
        if refunded < charged and ours:
            order = orders.lock(session, order)
            if order.status is OrderStatus.REFUNDED:
                return NotificationOutcome("already_refunded", order.ref)
            return NotificationOutcome("partial_refund_known", order.ref)
    single_foreign = (
        event.refund_request_id is not None
        and refunded is not None
        and charged is not None
        and refunded < charged
    )
    if refunded is None or charged is None or refunded >= charged:
        done = refunds.apply_refund(
            session,
            order,
            reason="refunded at the payment provider",
            actor=None,
            refund_id=None,
            now=now,
        )
        return NotificationOutcome("refunded" if done else "already_refunded", order.ref)
    order = orders.lock(session, order)
    if order.status is OrderStatus.REFUNDED:
        return NotificationOutcome("already_refunded", order.ref)
    if refunded <= order.refunded_fen and not single_foreign:
        return NotificationOutcome("partial_refund_known", order.ref)
    detail = (
        f"partly refunded at the provider ({refunded} of {charged} fen; we recorded "
        f"{order.refunded_fen}): credits not returned, check and refund in full or restore"
    )
    order.problem = detail[:200]
    audit.record(
        session,
        "order.partial_refund_unapplied",
        subject=order,
        ref=order.ref,
        refunded_fen=refunded,
        charged_fen=charged,
        recorded_fen=order.refunded_fen,
    )
    log.error("order %s: %s", order.ref, detail)
    return NotificationOutcome("needs_attention", order.ref)


def settle(
    session: Session,
    provider: PaymentProvider,
    order: Order,
    *,
    key: SigningKey,
    source: str,
    now: datetime | None = None,
) -> NotificationOutcome:
    """Ask the provider about the order's session and fulfil it if — and only if — paid."""
    now = now or utcnow()
    # Before the provider's record (the demo provider's is a row of ours): see orders.lock.
    order = orders.lock(session, order)
    if order.status is OrderStatus.PAID:
        return NotificationOutcome("already_paid", order.ref)
    if not order.provider_session_id:
        return NotificationOutcome("ignored", order.ref)
    view = provider.retrieve(session, order.provider_session_id)
    if view.order_ref not in (None, order.ref):
        return _mismatch(session, order, f"session belongs to order {view.order_ref}")
    if not view.paid:
        if view.status == "expired":
            orders.close_unpaid(session, order, OrderStatus.EXPIRED, now=now)
            return NotificationOutcome("expired", order.ref)
        return NotificationOutcome("awaiting", order.ref)
    if view.amount_fen != order.amount_fen or (view.currency or "").lower() != "cny":
        return _mismatch(
            session,
            order,
            f"paid {view.amount_fen} {view.currency}, expected {order.amount_fen} cny",
        )
    result = fulfilment.fulfil(
        session, order, payment_id=view.payment_id, key=key, source=source, now=now
    )
    if result.newly_paid:
        return NotificationOutcome("fulfilled", order.ref, [order.id])
    return NotificationOutcome(
        "already_paid" if order.status is OrderStatus.PAID else "unfulfillable", order.ref
    )


def _mismatch(session: Session, order: Order, detail: str) -> NotificationOutcome:
    order.problem = detail[:200]
    audit.record(session, "payment.mismatch", subject=order, ref=order.ref, detail=detail)
    log.error("payment for order %s not applied: %s", order.ref, detail)
    return NotificationOutcome("mismatch", order.ref)
