"""Plot sponsorship orders (认建认养): choose plots, hold them, and fulfil once paid.

A sponsorship is an order of kind ``plot``: it holds the chosen plots (all or none,
:func:`reservations.reserve`) under the order's reference, is paid through the same
providers and the same event handler as offsets, and once paid turns the plots into a
sponsorship and issues one plot certificate per plot. It retires no credits, so it is a
contribution to planting and care, never an offset of emissions; pages and certificates
say so.

Group sponsorship: an organisation gives one name per plot (from a CSV file); each plot
and its certificate carry that person's name, the organisation pays and owns them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import (
    Certificate,
    DedicationKind,
    MemorialSite,
    Order,
    OrderKind,
    OrderPlot,
    OrderStatus,
    PaymentMethod,
    Plot,
    PlotStatus,
    Privacy,
    Purpose,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, orders
from webapp.services.certificates import issuing, shares
from webapp.services.certificates.token import CertificateKind
from webapp.services.plots import reservations
from webapp.services.signing import SigningKey

# A payment confirmed after the hold lapsed re-reserves the same plots for this long.
LATE_HOLD = timedelta(minutes=5)


@dataclass(frozen=True)
class SponsorRequest:
    site: MemorialSite
    plot_ids: tuple[int, ...]
    sponsor_name: str
    privacy: Privacy
    dedication: DedicationKind
    method: PaymentMethod
    locale: str
    message: str = ""
    # Group sponsorship: one name per plot, given to the plots in code order.
    names: tuple[str, ...] = field(default=())
    invoice_title: str = ""
    invoice_tax_id: str = ""


def free_plots(session: Session, site: MemorialSite, now: datetime | None = None) -> list[Plot]:
    """The site's plots that can be sponsored now, in code order."""
    now = now or utcnow()
    plots = session.scalars(
        select(Plot)
        .where(
            Plot.site_id == site.id, Plot.status.in_((PlotStatus.AVAILABLE, PlotStatus.RESERVED))
        )
        .order_by(Plot.code)
    )
    return [p for p in plots if reservations.is_free(p, now)]


def choose_plots(session: Session, site: MemorialSite, count: int) -> list[int]:
    """``count`` free plots for a group that did not pick them (lowest codes first)."""
    plots = free_plots(session, site)
    if count > len(plots):
        raise Conflict(
            _l(
                "Only %(free)s plots are free at this site; the list has %(n)s names.",
                free=len(plots),
                n=count,
            )
        )
    return [p.id for p in plots[:count]]


def _check(session: Session, user: User, order_request: SponsorRequest) -> None:
    reservations.check_dedication(
        order_request.sponsor_name,
        order_request.privacy,
        order_request.dedication,
        order_request.message,
    )
    orders.check_payment(
        user, order_request.method, order_request.invoice_title, order_request.invoice_tax_id
    )
    if order_request.names:
        if not user.can_pay_by_transfer:
            raise DomainError(_l("Sponsoring plots for a list of names is for organisations."))
        if len(order_request.names) != len(set(order_request.plot_ids)):
            raise DomainError(
                _l(
                    "The list has %(n)s names but %(m)s plots are chosen; "
                    "choose one plot per name, or none to let us choose.",
                    n=len(order_request.names),
                    m=len(set(order_request.plot_ids)),
                )
            )


def preview(session: Session, user: User, order_request: SponsorRequest) -> list[Plot]:
    """The chosen plots, checked as the order would check them, without holding anything."""
    _check(session, user, order_request)
    ids = sorted(set(order_request.plot_ids))
    if not ids:
        raise DomainError(_l("Please choose at least one plot."))
    if len(ids) > reservations.MAX_PLOTS_PER_RESERVATION:
        raise DomainError(
            _l(
                "At most %(n)s plots can be reserved at once.",
                n=reservations.MAX_PLOTS_PER_RESERVATION,
            )
        )
    plots = list(session.scalars(select(Plot).where(Plot.id.in_(ids)).order_by(Plot.code)))
    if len(plots) != len(ids) or any(p.site_id != order_request.site.id for p in plots):
        raise DomainError(_l("Those plots are not at this site."))
    now = utcnow()
    taken = [p.code for p in plots if not reservations.is_free(p, now)]
    if taken:
        raise Conflict(
            _l(
                "No longer available: plot %(codes)s. Nothing was reserved; "
                "please choose another plot.",
                codes=", ".join(taken),
            )
        )
    return plots


def parse_names(text: str) -> tuple[str, ...]:
    """Names typed one per line; each is checked like a certificate holder's name."""
    names, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        name = unicodedata.normalize("NFC", line).strip()
        if not name:
            continue
        problem = shares.check_name(name)
        if problem is not None:
            errors.append(shares.RowError(number, problem))
        names.append(name)
    if errors:
        raise shares.SharesRefused(errors[: shares.MAX_REPORTED_ERRORS])
    return _within_limit(names)


def names_from_csv(data: bytes) -> tuple[str, ...]:
    """Names from an uploaded CSV (one per line; the shares' parser and its checks)."""
    rows = shares.parse_csv(data)
    with_kg = [
        shares.RowError(row.line, _l("one name per line, nothing else."))
        for row in rows
        if row.kg is not None
    ]
    if with_kg:
        raise shares.SharesRefused(with_kg[: shares.MAX_REPORTED_ERRORS])
    return _within_limit([row.name for row in rows])


def _within_limit(names: list[str]) -> tuple[str, ...]:
    if len(names) > reservations.MAX_PLOTS_PER_RESERVATION:
        raise shares.SharesRefused(
            [
                shares.RowError(
                    None,
                    _l(
                        "At most %(n)s plots can be reserved at once.",
                        n=reservations.MAX_PLOTS_PER_RESERVATION,
                    ),
                )
            ]
        )
    return tuple(names)


def create_plot_order(
    session: Session,
    *,
    user: User,
    order_request: SponsorRequest,
    hold: timedelta,
    min_amount: Decimal | None = None,
    now: datetime | None = None,
) -> Order:
    """A pending order holding the chosen plots until it is paid or the hold lapses."""
    _check(session, user, order_request)
    now = now or utcnow()
    ref = orders.unique_ref(session)
    plots = reservations.reserve(session, order_request.plot_ids, ref, hold=hold, now=now)
    if any(p.site_id != order_request.site.id for p in plots):
        raise DomainError(_l("Those plots are not at this site."))
    amount = reservations.total_price(plots)
    orders.check_min_amount(amount, min_amount)
    name, message = reservations.check_dedication(
        order_request.sponsor_name,
        order_request.privacy,
        order_request.dedication,
        order_request.message,
    )
    ordered = sorted(plots, key=lambda p: p.code)
    names = list(order_request.names) or [None] * len(ordered)
    order = Order(
        ref=ref,
        user_id=user.id,
        kind=OrderKind.PLOT,
        status=OrderStatus.PENDING,
        method=order_request.method,
        site_id=order_request.site.id,
        quantity_kg=0,
        amount=amount,
        currency="CNY",
        locale=order_request.locale,
        beneficiary_name=name,
        privacy=order_request.privacy,
        purpose=Purpose.PLOT_SPONSORSHIP,
        dedication_kind=order_request.dedication,
        dedication_message=message,
        invoice_title=order_request.invoice_title.strip() or None,
        invoice_tax_id=order_request.invoice_tax_id.strip() or None,
        created_at=now,
        expires_at=now + hold,
        plot_items=[
            OrderPlot(plot_id=plot.id, sponsor_name=person)
            for plot, person in zip(ordered, names, strict=True)
        ],
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
        plots=[p.code for p in ordered],
    )
    return order


def plots_of(order: Order) -> list[Plot]:
    return sorted((item.plot for item in order.plot_items), key=lambda p: p.code)


def description(order: Order) -> str:
    """What the provider's checkout page says the buyer pays for."""
    codes = ", ".join(p.code for p in plots_of(order))
    site = order.site.code if order.site else ""
    return f"Tanhui {order.ref}: tree plots {codes} at {site} (认建认养)"[:250]


def _sponsor(session: Session, order: Order, now: datetime) -> list[Plot]:
    expected = [item.plot_id for item in order.plot_items]
    names = {item.plot_id: item.sponsor_name for item in order.plot_items if item.sponsor_name}
    return reservations.sponsor(
        session,
        order.ref,
        user=order.user,
        sponsor_name=order.beneficiary_name,
        privacy=order.privacy,
        dedication=order.dedication_kind or DedicationKind.OTHER,
        message=order.dedication_message or "",
        locale=order.locale,
        expected=expected,
        names=names,
        now=now,
    )


def fulfil(session: Session, order: Order, *, key: SigningKey, now: datetime) -> list[Certificate]:
    """Sponsor the order's plots and issue one certificate per plot.

    The caller holds the order's row lock and has checked it is not paid yet. A payment
    that arrives after the hold lapsed takes the same plots again if nobody else has;
    otherwise :class:`Conflict` is raised and nothing changes (the caller flags the order
    for a refund — two buyers never sponsor the same plot).
    """
    try:
        plots = _sponsor(session, order, now)
    except Conflict:
        reservations.reserve(
            session, [item.plot_id for item in order.plot_items], order.ref, LATE_HOLD, now=now
        )
        plots = _sponsor(session, order, now)
    names = {item.plot_id: item.sponsor_name for item in order.plot_items if item.sponsor_name}
    return [
        issuing.issue(
            session,
            key=key,
            kind=CertificateKind.PLOT,
            holder_name=names.get(plot.id, order.beneficiary_name),
            privacy=order.privacy,
            locale=order.locale,
            owner=order.user,
            plot_code=plot.code,
            plot_id=plot.id,
            order_id=order.id,
            now=now,
        )
        for plot in sorted(plots, key=lambda p: p.code)
    ]


def withdraw(
    session: Session, order: Order, *, reason: str, actor: User | None, now: datetime
) -> None:
    """A refunded sponsorship: free the plots not yet planted (see reservations.withdraw)."""
    reservations.withdraw(session, order.ref, reason=reason, actor=actor, now=now)


def sponsored_by(session: Session, user: User) -> list[Plot]:
    """The plots a user paid for (their own and those dedicated to others), newest first."""
    return list(
        session.scalars(
            select(Plot)
            .where(Plot.sponsor_user_id == user.id)
            .order_by(Plot.sponsored_at.desc(), Plot.code)
        )
    )


def certificates_by_plot(session: Session, plots: Sequence[Plot]) -> dict[int, Certificate]:
    """Each plot's newest certificate (a refunded and re-sponsored plot has several)."""
    if not plots:
        return {}
    rows = session.scalars(
        select(Certificate)
        .where(Certificate.plot_id.in_([p.id for p in plots]))
        .order_by(Certificate.id)
    )
    return {c.plot_id: c for c in rows if c.plot_id is not None}


@dataclass(frozen=True)
class Contribution:
    """What an account has done: offsets (retired credits) and sponsorships, kept apart."""

    offset_kg: int  # retired for the user's paid offset orders: an offset of emissions
    plots: tuple[Plot, ...]  # sponsored plots: a contribution, not an offset
    sponsorship_amount: Decimal
    projected_t_per_year: Decimal  # of the plots with an area; projected, not delivered


def contribution(session: Session, user: User) -> Contribution:
    from webapp.services.plots.queries import projection

    paid = list(
        session.scalars(
            select(Order).where(Order.user_id == user.id, Order.status == OrderStatus.PAID)
        )
    )
    plots = tuple(sponsored_by(session, user))
    projected = [p for p in map(projection, plots) if p is not None]
    return Contribution(
        # Partly refunded orders count what they still hold.
        offset_kg=sum(o.retained_kg for o in paid if o.kind is not OrderKind.PLOT),
        plots=plots,
        sponsorship_amount=sum(
            (o.amount for o in paid if o.kind is OrderKind.PLOT), Decimal("0.00")
        ),
        projected_t_per_year=sum((p.t_per_year for p in projected), Decimal("0")),
    )
