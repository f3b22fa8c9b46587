"""Starting a purchase: the order, its reservation and the provider's checkout, together.

If the provider cannot open a checkout, the caller's transaction rolls back and nothing
stays reserved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import Order, OrderKind, PaymentMethod, User
from webapp.models.base import utcnow
from webapp.services import orders
from webapp.services.payments import gateway
from webapp.services.payments.providers import BuyerClient, ProviderError
from webapp.services.planting import donations
from webapp.services.plots import sponsorship

# Stripe Checkout sessions must live at least 30 minutes from when Stripe receives the
# request; one more minute covers the clocks and the network.
MIN_CHECKOUT_MINUTES = 31
# The reservation outlives the checkout a little, so a payment completed in the
# checkout's last second still finds its serials held.
HOLD_GRACE = timedelta(minutes=5)


def hold_for(config: dict[str, Any], method: PaymentMethod) -> timedelta:
    if method is PaymentMethod.BANK_TRANSFER:
        return timedelta(days=int(config["BANK_TRANSFER_HOLD_DAYS"]))
    return timedelta(minutes=max(MIN_CHECKOUT_MINUTES, int(config["RESERVATION_MINUTES"])))


def start_offset(
    session: Session,
    *,
    user: User,
    order_request: orders.OffsetRequest,
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    now: datetime | None = None,
    client: BuyerClient | None = None,
) -> Order:
    """Create the order and its reservation and, for online payment, open the checkout."""

    def create(hold: timedelta, min_amount: Decimal | None, now: datetime) -> Order:
        return orders.create_offset_order(
            session,
            user=user,
            order_request=order_request,
            hold=hold,
            min_amount=min_amount,
            now=now,
        )

    return _start(session, order_request.method, create, config, return_urls, now, client)


def start_plot_sponsorship(
    session: Session,
    *,
    user: User,
    order_request: sponsorship.SponsorRequest,
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    now: datetime | None = None,
    client: BuyerClient | None = None,
) -> Order:
    """Hold the chosen plots in a new order and, for online payment, open the checkout."""

    def create(hold: timedelta, min_amount: Decimal | None, now: datetime) -> Order:
        return sponsorship.create_plot_order(
            session,
            user=user,
            order_request=order_request,
            hold=hold,
            min_amount=min_amount,
            now=now,
        )

    return _start(session, order_request.method, create, config, return_urls, now, client)


def start_donation(
    session: Session,
    *,
    user: User,
    order_request: donations.DonationRequest,
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    now: datetime | None = None,
    client: BuyerClient | None = None,
) -> Order:
    """A new donation order (捐资造林) and, for online payment, its checkout."""

    def create(hold: timedelta, min_amount: Decimal | None, now: datetime) -> Order:
        return donations.create_donation_order(
            session,
            user=user,
            order_request=order_request,
            hold=hold,
            min_amount=min_amount,
            now=now,
        )

    return _start(session, order_request.method, create, config, return_urls, now, client)


def _start(
    session: Session,
    method: PaymentMethod,
    create: Callable[[timedelta, Decimal | None, datetime], Order],
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    now: datetime | None,
    client: BuyerClient | None = None,
) -> Order:
    now = now or utcnow()
    if method is PaymentMethod.BANK_TRANSFER:
        if not gateway.bank_transfer_offered(config):
            raise DomainError(_l("Bank transfer is not offered here."))
    elif method not in gateway.online_methods(config):
        raise DomainError(_l("This payment method is not offered here."))
    online = method is not PaymentMethod.BANK_TRANSFER
    checkout_for = hold_for(config, method)
    min_amount = None
    if method is PaymentMethod.STRIPE:
        min_amount = Decimal(config["STRIPE_MIN_AMOUNT_CNY"])
    order = create(checkout_for + HOLD_GRACE if online else checkout_for, min_amount, now)
    if online:
        open_checkout(
            session,
            order,
            config=config,
            return_urls=return_urls,
            expires_at=now + checkout_for,
            client=client,
        )
    return order


def description(order: Order) -> str:
    """What the buyer sees at the provider for this order."""
    if order.kind is OrderKind.PLOT:
        return sponsorship.description(order)
    if order.kind is OrderKind.DONATION:
        return donations.description(order)
    return f"Tanhui {order.ref}: {order.quantity_kg / 1000:g} t CO2e — {order.project.code}"


def checkout_expires_at(order: Order) -> datetime | None:
    """When the provider's checkout of an online order ends (its hold less the grace)."""
    return order.expires_at - HOLD_GRACE if order.expires_at is not None else None


def open_checkout(
    session: Session,
    order: Order,
    *,
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    expires_at: datetime,
    client: BuyerClient | None = None,
) -> None:
    provider = gateway.provider_for(config, order.method)
    if provider is None:
        return
    success_url, cancel_url = return_urls(order.ref)
    try:
        checkout = provider.create_checkout(
            session,
            order,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=expires_at,
            description=description(order),
            client=client,
        )
    except ProviderError as exc:
        raise Conflict(
            _l("The payment service could not be reached; nothing was reserved. Please try again.")
        ) from exc
    order.provider_session_id = checkout.session_id
    order.checkout_url = checkout.url
