"""Settle what webhooks missed: pending payments re-fetched, lapsed holds released.

The command (``flask payments reconcile``) commits each order on its own, so one
provider error does not hold back the others.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Order, OrderStatus, PaymentMethod
from webapp.services import orders
from webapp.services.payments.notifications import NotificationOutcome, settle
from webapp.services.payments.providers import PaymentProvider
from webapp.services.signing import SigningKey


def due(session: Session, *, now: datetime, older_than: timedelta) -> list[int]:
    """Ids of pending orders created before ``now - older_than`` or past their hold."""
    return list(
        session.scalars(
            select(Order.id)
            .where(
                Order.status == OrderStatus.PENDING,
                (Order.created_at <= now - older_than) | (Order.expires_at <= now),
            )
            .order_by(Order.id)
        )
    )


def reconcile_order(
    session: Session,
    provider: PaymentProvider | None,
    order: Order,
    *,
    key: SigningKey,
    now: datetime,
) -> NotificationOutcome:
    if order.method is PaymentMethod.BANK_TRANSFER or provider is None:
        lapsed = order.expires_at is not None and order.expires_at <= now
        # A recorded receipt waits for its second confirmation, however late.
        if lapsed and order.transfer_recorded_by_id is None:
            orders.close_unpaid(session, order, OrderStatus.EXPIRED, now=now)
            return NotificationOutcome("expired", order.ref)
        return NotificationOutcome("awaiting", order.ref)
    outcome = settle(session, provider, order, key=key, source="reconcile", now=now)
    if outcome.result != "awaiting" or order.expires_at is None or order.expires_at > now:
        return outcome
    # The hold lapsed and the session is still open: close it at the provider first, so
    # nobody can pay for serials we are returning, then look once more.
    provider.expire(session, order.provider_session_id or "")
    outcome = settle(session, provider, order, key=key, source="reconcile", now=now)
    if outcome.result == "awaiting":
        orders.close_unpaid(session, order, OrderStatus.EXPIRED, now=now)
        return NotificationOutcome("expired", order.ref)
    return outcome
