"""Donations for planting (捐资造林): money given to a memorial site's planting and tending.

A donation is an order of kind ``donation``: an amount (yuan, Decimal, whole fen) for one
memorial site, paid through the same checkout and providers as a plot sponsorship and to
the same payee. It holds nothing while unpaid and retires nothing once paid (quantity 0):
it is **not** a carbon offset, claims no tonnes and gives no offset certificate. It
counts toward the voluntary tree-planting duty as 捐资捐物 (《全民义务植树尽责形式管理办法
（试行）》, 2017) at the site's conversion rule (``duty.rule_for``), rounded down per
donation (``duty.record``). It earns no recognition points: points never come from money
(``points.py``). A refund (staff or the provider's notice) makes it stop counting, since
only paid orders are counted.

The donor's name is shown on the site page only as they chose (the sponsorship's privacy
choice: full, initials, or not at all); the site page shows the total and the number of
donations either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.errors import DomainError
from webapp.models import (
    Certificate,
    MemorialSite,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    Privacy,
    Purpose,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, orders, quantities, text_policy
from webapp.services.planting import duty
from webapp.services.registry.privacy import display_name
from webapp.services.signing import SigningKey

# ¥1 is the least worth a payment; ¥100,000 the most one donation may be online or by
# transfer (larger gifts are agreements with the site's operator, outside this form).
MIN_AMOUNT = Decimal("1.00")
MAX_AMOUNT = Decimal("100000.00")
# Offered as buttons: ¥60 is a year's duty of 3 trees at the default ¥20 per tree.
PRESETS = (Decimal("20"), Decimal("60"), Decimal("100"))
MAX_DONOR_NAME = 60
# How many public donor names a site page lists (newest first).
PUBLIC_NAMES_SHOWN = 20


@dataclass(frozen=True)
class DonationRequest:
    site: MemorialSite
    amount: Decimal
    donor_name: str
    privacy: Privacy
    method: PaymentMethod
    locale: str
    invoice_title: str = ""
    invoice_tax_id: str = ""


@dataclass(frozen=True)
class Quote:
    """What a donation is and counts for, shown before paying and on the order."""

    amount: Decimal
    trees: int
    rule: duty.ConversionRule


def parse_amount(raw: object) -> Decimal:
    """A typed amount -> Decimal yuan within the limits, at most 2 decimals; DomainError."""
    try:
        value = quantities.parse(
            raw, minimum=MIN_AMOUNT, maximum=MAX_AMOUNT, max_places=2, unit="yuan"
        )
    except quantities.InvalidQuantity as exc:
        raise DomainError(exc.message) from exc
    return value.quantize(Decimal("0.01"))


def check_amount(amount: Decimal) -> Decimal:
    """An amount from code or a form: finite, within the limits, whole fen."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise DomainError(_l("Please give the amount in yuan, e.g. 60."))
    if amount < MIN_AMOUNT or amount > MAX_AMOUNT:
        raise DomainError(
            _l(
                "A donation is from ¥%(min)s to ¥%(max)s.",
                min=f"{MIN_AMOUNT:,.2f}",
                max=f"{MAX_AMOUNT:,.2f}",
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("Use at most 2 decimal places (whole fen)."))
    return amount.quantize(Decimal("0.01"))


def quote(config: Mapping[str, Any], site: MemorialSite, amount: Decimal) -> Quote:
    rule = duty.rule_for(config, site.code)
    return Quote(amount=amount, trees=duty.trees_for(amount, rule), rule=rule)


def _check(user: User, order_request: DonationRequest) -> tuple[Decimal, str]:
    amount = check_amount(order_request.amount)
    try:
        name = text_policy.clean(order_request.donor_name or "", limit=MAX_DONOR_NAME)
    except text_policy.TextRefused as exc:
        raise DomainError(exc.message) from exc
    if not name:
        raise DomainError(_l("Please give the donor's name."))
    if not isinstance(order_request.privacy, Privacy):
        raise DomainError(_l("Please choose how the name is shown."))
    orders.check_payment(
        user, order_request.method, order_request.invoice_title, order_request.invoice_tax_id
    )
    return amount, name


def preview(user: User, order_request: DonationRequest, config: Mapping[str, Any]) -> Quote:
    """The donation checked as the order would check it, and what it counts for."""
    amount, _name = _check(user, order_request)
    return quote(config, order_request.site, amount)


def create_donation_order(
    session: Session,
    *,
    user: User,
    order_request: DonationRequest,
    hold: timedelta,
    min_amount: Decimal | None = None,
    now: datetime | None = None,
) -> Order:
    """A pending donation order (nothing is held: a donation takes nothing from stock)."""
    amount, name = _check(user, order_request)
    if min_amount is not None and amount < min_amount:
        raise DomainError(
            _l(
                "Online payments start at ¥%(amount)s; please give a little more.",
                amount=min_amount,
            )
        )
    now = now or utcnow()
    ref = orders.unique_ref(session)
    order = Order(
        ref=ref,
        user_id=user.id,
        kind=OrderKind.DONATION,
        status=OrderStatus.PENDING,
        method=order_request.method,
        site_id=order_request.site.id,
        quantity_kg=0,
        amount=amount,
        currency="CNY",
        locale=order_request.locale,
        beneficiary_name=name,
        privacy=order_request.privacy,
        purpose=Purpose.PLANTING_DONATION,
        invoice_title=order_request.invoice_title.strip() or None,
        invoice_tax_id=order_request.invoice_tax_id.strip() or None,
        created_at=now,
        expires_at=now + hold,
    )
    session.add(order)
    session.flush()
    audit.record(
        session,
        "order.created",
        actor=user,
        subject=order,
        ref=ref,
        amount=str(amount),
        donation_site=order_request.site.code,
    )
    return order


def description(order: Order) -> str:
    """What the provider's checkout page says the buyer pays for."""
    site = order.site.code if order.site else ""
    return f"Tanhui {order.ref}: donation for planting at {site} (捐资造林)"[:250]


def fulfil(session: Session, order: Order, *, key: SigningKey, now: datetime) -> list[Certificate]:
    """A paid donation needs nothing delivered: no serials, no plots, no certificate (it
    is not an offset). The duty record reads the paid order itself."""
    del session, key, now
    return []


@dataclass(frozen=True)
class SiteDonations:
    count: int
    total: Decimal
    public_names: tuple[str, ...]  # as each donor chose (full or initials), newest first


def site_totals(session: Session, site: MemorialSite) -> SiteDonations:
    """Paid, not refunded donations to ``site``; names only where the donor chose."""
    count, total = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.amount), 0)).where(
            Order.site_id == site.id,
            Order.kind == OrderKind.DONATION,
            Order.status == OrderStatus.PAID,
        )
    ).one()
    named = session.execute(
        select(Order.beneficiary_name, Order.privacy)
        .where(
            Order.site_id == site.id,
            Order.kind == OrderKind.DONATION,
            Order.status == OrderStatus.PAID,
            Order.privacy != Privacy.ANONYMOUS,
        )
        .order_by(Order.paid_at.desc(), Order.id.desc())
        .limit(PUBLIC_NAMES_SHOWN)
    ).all()
    names = tuple(n for n in (display_name(name, privacy) for name, privacy in named) if n)
    return SiteDonations(
        count=int(count or 0),
        total=Decimal(total or 0).quantize(Decimal("0.01")),
        public_names=names,
    )
