"""Orders: quote, create (with the registry reservation), cancel and expire.

The amount of an order is computed from the serials actually reserved, issuance by
issuance (each has its own price per tonne), and rounded once to the fen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import (
    Allocation,
    Delivery,
    FootprintCalculation,
    Issuance,
    IssuanceStatus,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    ProjectStatus,
    SinkProject,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.certificates.ids import ALPHABET
from webapp.services.plots import reservations as plot_reservations
from webapp.services.registry import allocation as allocations
from webapp.services.registry import sales_stop
from webapp.services.registry.allocation import Beneficiary, check_beneficiary

FEN = Decimal("0.01")
MIN_QUANTITY_KG = 10  # 0.01 t
MAX_QUANTITY_KG = 100_000_000  # 100,000 t in one order
MAX_INVOICE_TITLE = 120
MAX_TAX_ID = 40

ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.FAILED}
    ),
    # A payment the provider confirms late (after cancel, expiry or a failed attempt)
    # was still taken from the buyer: it is honoured, never lost.
    OrderStatus.CANCELLED: frozenset({OrderStatus.PAID}),
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID}),
    OrderStatus.FAILED: frozenset({OrderStatus.PAID}),
    OrderStatus.PAID: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.REFUNDED: frozenset(),
}


def order_transition(current: OrderStatus, target: OrderStatus) -> OrderStatus:
    if target not in ORDER_TRANSITIONS[current]:
        raise Conflict(
            _l("An order cannot go from %(a)s to %(b)s.", a=current.value, b=target.value)
        )
    return target


def new_ref() -> str:
    """A short reference people can type into a bank transfer's remark field."""
    return "TH" + "".join(secrets.choice(ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class QuoteLine:
    issuance_id: int
    vintage: int
    quantity_kg: int
    price_per_tonne: Decimal
    delivery: Delivery
    expected_from: int | None
    expected_to: int | None


@dataclass(frozen=True)
class Quote:
    project: SinkProject
    quantity_kg: int
    lines: tuple[QuoteLine, ...]

    @property
    def amount(self) -> Decimal:
        return amount_for(self.lines)

    @property
    def projected(self) -> bool:
        return any(line.delivery is Delivery.PROJECTED for line in self.lines)


def amount_for(lines: tuple[QuoteLine, ...] | list[QuoteLine]) -> Decimal:
    exact = sum(
        (Decimal(line.quantity_kg) * line.price_per_tonne / 1000 for line in lines), Decimal(0)
    )
    return exact.quantize(FEN, rounding=ROUND_HALF_UP)


def _on_sale(session: Session, project: SinkProject) -> list[Issuance]:
    return list(
        session.scalars(
            select(Issuance)
            .where(Issuance.project_id == project.id, Issuance.status == IssuanceStatus.ON_SALE)
            .order_by(Issuance.vintage, Issuance.id)
        )
    )


def quote(session: Session, project: SinkProject, quantity_kg: int) -> Quote | None:
    """What reserving ``quantity_kg`` now would take (oldest vintage first), or None."""
    lines: list[QuoteLine] = []
    remaining = quantity_kg
    for issuance in _on_sale(session, project):
        take = min(issuance.available_kg, remaining)
        if take <= 0:
            continue
        lines.append(_line(issuance, take))
        remaining -= take
        if remaining == 0:
            return Quote(project=project, quantity_kg=quantity_kg, lines=tuple(lines))
    return None


def _line(issuance: Issuance, quantity_kg: int) -> QuoteLine:
    return QuoteLine(
        issuance_id=issuance.id,
        vintage=issuance.vintage,
        quantity_kg=quantity_kg,
        price_per_tonne=issuance.price_per_tonne,
        delivery=issuance.delivery,
        expected_from=issuance.expected_from,
        expected_to=issuance.expected_to,
    )


def offerable_projects(session: Session) -> list[SinkProject]:
    """Active projects with credits on sale, for the offset form; not those whose sales a
    loss has stopped (issue 18: ``registry/sales_stop.py``)."""
    stopped = sales_stop.stopped_projects(session)
    return [
        project
        for project in session.scalars(
            select(SinkProject)
            .where(
                SinkProject.status == ProjectStatus.ACTIVE,
                SinkProject.id.in_(
                    select(Issuance.project_id).where(Issuance.status == IssuanceStatus.ON_SALE)
                ),
            )
            .order_by(SinkProject.code)
        )
        if project.id not in stopped
    ]


def choose_project(session: Session, quantity_kg: int) -> Quote | None:
    """Tanhui's choice: the lowest total price, then delivered before projected, then the
    oldest vintage, among projects that can supply the whole quantity."""
    quotes = [q for p in offerable_projects(session) if (q := quote(session, p, quantity_kg))]
    if not quotes:
        return None
    return min(
        quotes,
        key=lambda q: (
            q.amount,
            q.projected,
            min(line.vintage for line in q.lines),
            q.project.code,
        ),
    )


def reserved_lines(allocation: Allocation) -> list[QuoteLine]:
    """The priced lines of what a reservation actually holds."""
    by_issuance: dict[int, int] = {}
    issuances: dict[int, Issuance] = {}
    for r in allocation.ranges:
        by_issuance[r.issuance_id] = by_issuance.get(r.issuance_id, 0) + r.quantity_kg
        issuances[r.issuance_id] = r.issuance
    return [_line(issuances[i], qty) for i, qty in sorted(by_issuance.items())]


@dataclass(frozen=True)
class OffsetRequest:
    quantity_kg: int
    beneficiary: Beneficiary
    method: PaymentMethod
    locale: str
    project: SinkProject | None = None  # None: let Tanhui choose
    calculation: FootprintCalculation | None = None
    invoice_title: str = ""
    invoice_tax_id: str = ""


def check_payment(
    user: User, method: PaymentMethod, invoice_title: str, invoice_tax_id: str
) -> None:
    """Invoice details and who may pay by bank transfer — the same for every kind of order."""
    if len(invoice_title.strip()) > MAX_INVOICE_TITLE:
        raise DomainError(_l("The invoice title is at most 120 characters."))
    if len(invoice_tax_id.strip()) > MAX_TAX_ID:
        raise DomainError(_l("The tax number is at most 40 characters."))
    if method is PaymentMethod.BANK_TRANSFER:
        if not user.can_pay_by_transfer:
            raise DomainError(_l("Bank transfer is for organisations; please pay online."))
        if not invoice_title.strip():
            raise DomainError(_l("Bank transfer needs the invoice title (发票抬头)."))


def check_min_amount(amount: Decimal, min_amount: Decimal | None) -> None:
    if amount <= 0:
        raise DomainError(_l("This quantity is too small to be paid for."))
    if min_amount is not None and amount < min_amount:
        raise DomainError(
            _l(
                "Online payments start at ¥%(amount)s; please offset a little more.",
                amount=min_amount,
            )
        )


def unique_ref(session: Session) -> str:
    ref = new_ref()
    while session.scalar(select(Order.id).where(Order.ref == ref)) is not None:
        ref = new_ref()
    return ref


def _check_request(order_request: OffsetRequest, user: User) -> None:
    if not MIN_QUANTITY_KG <= order_request.quantity_kg <= MAX_QUANTITY_KG:
        raise DomainError(_l("The quantity must be between 0.01 t and 100,000 t."))
    check_beneficiary(order_request.beneficiary)
    check_payment(
        user, order_request.method, order_request.invoice_title, order_request.invoice_tax_id
    )
    if order_request.calculation is not None and order_request.calculation.user_id not in (
        None,
        user.id,
    ):
        raise DomainError(_l("That calculation is not yours."))


def create_offset_order(
    session: Session,
    *,
    user: User,
    order_request: OffsetRequest,
    hold: timedelta,
    min_amount: Decimal | None = None,
    now: datetime | None = None,
) -> Order:
    """A pending order holding a reservation of the credits it will retire once paid."""
    _check_request(order_request, user)
    now = now or utcnow()
    project = order_request.project
    if project is None:
        chosen = choose_project(session, order_request.quantity_kg)
        if chosen is None:
            raise Conflict(_l("No project has that many tonnes available now; try fewer."))
        project = chosen.project
    elif project.status is not ProjectStatus.ACTIVE:
        raise DomainError(_l("This project is not open for offsets."))
    ref = unique_ref(session)
    allocation = allocations.reserve(
        session, project, order_request.quantity_kg, ref, hold=hold, now=now
    )
    amount = amount_for(reserved_lines(allocation))
    check_min_amount(amount, min_amount)
    b = order_request.beneficiary
    order = Order(
        ref=ref,
        user_id=user.id,
        kind=OrderKind.OFFSET,
        status=OrderStatus.PENDING,
        method=order_request.method,
        project_id=project.id,
        quantity_kg=order_request.quantity_kg,
        amount=amount,
        currency="CNY",
        locale=order_request.locale,
        beneficiary_name=b.name.strip(),
        privacy=b.privacy,
        purpose=b.purpose,
        purpose_detail=b.purpose_detail.strip() or None,
        case_number=b.case_number.strip() or None,
        court=b.court.strip() or None,
        calculation_id=order_request.calculation.id
        if order_request.calculation is not None
        else None,
        allocation_id=allocation.id,
        invoice_title=order_request.invoice_title.strip() or None,
        invoice_tax_id=order_request.invoice_tax_id.strip() or None,
        created_at=now,
        expires_at=allocation.expires_at,
    )
    session.add(order)
    session.flush()
    audit.record(session, "order.created", actor=user, subject=order, ref=ref, amount=str(amount))
    return order


def lock(session: Session, order: Order) -> Order:
    """Take the order's row lock (FOR UPDATE) and reload it.

    Lock order: every transaction that changes a payment's state (the demo buttons, the
    webhook handler, reconcile, refunds, bank transfers) takes this lock before writing any
    other row that refers to the order; a row that refers to it first (a payment event's
    foreign key takes a share lock on the order) and then this lock is how two concurrent
    confirmations deadlocked. Changes not yet flushed are written first, since the reload
    would otherwise discard them (a bank transfer's second staff member was lost that way).
    """
    session.flush()
    session.refresh(order, with_for_update=True)
    return order


def find(session: Session, ref: str) -> Order | None:
    return session.scalar(select(Order).where(Order.ref == ref))


def close_unpaid(
    session: Session,
    order: Order,
    target: OrderStatus,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> bool:
    """Cancel, expire or fail a pending order and return its serials. False if not pending."""
    now = now or utcnow()
    order = lock(session, order)
    if order.status is not OrderStatus.PENDING:
        return False
    order.status = order_transition(order.status, target)
    order.closed_at = now
    if order.allocation is not None and order.allocation.state.value == "reserved":
        allocations.release(
            session, order.allocation, expired=target is OrderStatus.EXPIRED, now=now
        )
    if order.kind is OrderKind.PLOT:
        plot_reservations.release(session, order.ref, now=now)
    audit.record(session, f"order.{target.value}", actor=actor, subject=order, ref=order.ref)
    return True


@dataclass(frozen=True)
class VintageOffer:
    """What one vintage of a project offers: delivered (verified) or projected tonnes."""

    vintage: int
    delivery: Delivery
    available_kg: int
    expected_from: int | None = None
    expected_to: int | None = None


@dataclass(frozen=True)
class Offer:
    """One project's credits on sale, for the offset form's comparison table."""

    project: SinkProject
    available_kg: int
    price_min: Decimal
    price_max: Decimal
    projected: bool
    vintages: tuple[int, ...]
    # Per vintage and delivery, so verified 2024 and projected 2027 read as what they are.
    per_vintage: tuple[VintageOffer, ...] = ()


def _per_vintage(issuances: list) -> tuple[VintageOffer, ...]:
    grouped: dict[tuple[int, Delivery], list] = {}
    for i in issuances:
        grouped.setdefault((i.vintage, i.delivery), []).append(i)
    out = []
    for (vintage, delivery), items in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        projected = [i for i in items if i.expected_from]
        out.append(
            VintageOffer(
                vintage=vintage,
                delivery=delivery,
                available_kg=sum(i.available_kg for i in items),
                expected_from=min((i.expected_from for i in projected), default=None),
                expected_to=max(
                    (i.expected_to or i.expected_from for i in projected), default=None
                ),
            )
        )
    return tuple(out)


def offers(session: Session) -> list[Offer]:
    result = []
    for project in offerable_projects(session):
        issuances = [i for i in _on_sale(session, project) if i.available_kg > 0]
        if not issuances:
            continue
        prices = [i.price_per_tonne for i in issuances]
        result.append(
            Offer(
                project=project,
                available_kg=sum(i.available_kg for i in issuances),
                price_min=min(prices),
                price_max=max(prices),
                projected=any(i.delivery is Delivery.PROJECTED for i in issuances),
                vintages=tuple(sorted({i.vintage for i in issuances})),
                per_vintage=_per_vintage(issuances),
            )
        )
    return result
