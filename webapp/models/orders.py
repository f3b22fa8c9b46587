"""Orders (订单), what providers told us about them, and the demo provider's own state.

An order is the only path from money to the registry: it holds a reservation while
unpaid, and only a verified provider confirmation (a signed webhook, a signed demo
event, or two staff confirming a bank transfer) moves it to ``paid``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.plots import MAX_DEDICATION_MESSAGE, DedicationKind, Plot
from webapp.models.projects import MemorialSite, SinkProject
from webapp.models.registry import Allocation, Privacy, Purpose


class OrderKind(enum.StrEnum):
    OFFSET = "offset"  # retire credits for a beneficiary
    PLOT = "plot"  # sponsor memorial-forest plots (认建认养)
    EVENT = "event"  # neutralise an event (零碳会议 / 零碳活动)
    # 捐资造林: money given to a memorial site's planting and tending; it retires no
    # credits and holds nothing (quantity 0), and counts toward the tree-planting duty.
    DONATION = "donation"


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # awaiting payment; the reservation is held
    PAID = "paid"  # the provider confirmed; retired and certificate issued
    CANCELLED = "cancelled"  # the buyer cancelled before paying
    EXPIRED = "expired"  # nobody paid in time; the reservation was released
    FAILED = "failed"  # the provider reported the payment failed
    REFUNDED = "refunded"  # paid, then refunded: registry reversal, certificate revoked


class PaymentMethod(enum.StrEnum):
    DEMO = "demo"  # built-in demonstration provider, never in production
    STRIPE = "stripe"  # Stripe Checkout: card, Alipay, WeChat Pay
    BANK_TRANSFER = "bank_transfer"  # 对公转账, confirmed by two staff members
    WECHAT_PAY = "wechat_pay"  # 微信支付 API v3, our own merchant account (Native / H5)
    ALIPAY = "alipay"  # 支付宝, our own merchant account (page pay / WAP pay)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # Plot sponsorships and donations retire no credits: their quantity is 0; every
        # other kind > 0. Both always name their memorial site (migration 0023).
        CheckConstraint(
            "quantity_kg > 0 OR (kind IN ('plot', 'donation') AND quantity_kg = 0)",
            name="quantity_positive",
        ),
        CheckConstraint(
            "kind NOT IN ('plot', 'donation') OR site_id IS NOT NULL",
            name="plot_orders_have_site",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status <> 'paid' OR paid_at IS NOT NULL", name="paid_has_time"),
        CheckConstraint(
            "transfer_confirmed_by_id IS NULL"
            " OR transfer_confirmed_by_id <> transfer_recorded_by_id",
            name="transfer_four_eyes",
        ),
        # A partial refund (issue 8: surplus at an event's true-up) never returns more money
        # or more kilograms than the order paid for.
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"
        ),
        CheckConstraint(
            "refunded_kg >= 0 AND refunded_kg <= quantity_kg", name="refund_within_quantity"
        ),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public reference: printed on receipts and used as the bank-transfer payment reference.
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[OrderKind] = mapped_column(str_enum(OrderKind), default=OrderKind.OFFSET)
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.PENDING)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("sink_projects.id"))
    quantity_kg: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    beneficiary_name: Mapped[str] = mapped_column(String(120))
    privacy: Mapped[Privacy] = mapped_column(str_enum(Privacy))
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose))
    purpose_detail: Mapped[str | None] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(80))
    court: Mapped[str | None] = mapped_column(String(120))
    calculation_id: Mapped[int | None] = mapped_column(
        ForeignKey("footprint_calculations.id", ondelete="SET NULL")
    )
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"))
    # Plot sponsorship (认建认养): the site, and the dedication every plot of the order gets.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("memorial_sites.id"), index=True)
    dedication_kind: Mapped[DedicationKind | None] = mapped_column(
        str_enum(DedicationKind, length=16)
    )
    dedication_message: Mapped[str | None] = mapped_column(String(MAX_DEDICATION_MESSAGE))
    # The provider's checkout session and payment (Stripe cs_… / pi_…, demo cs_demo_…;
    # WeChat Pay and Alipay: our out_trade_no, which is the order's ref, and their
    # transaction / trade number).
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Where the buyer pays (the provider's hosted page); kept so "Pay" works again later.
    checkout_url: Mapped[str | None] = mapped_column(String(2048))
    # Invoice details (发票抬头, 税号) for organisations' receipts.
    invoice_title: Mapped[str | None] = mapped_column(String(120))
    invoice_tax_id: Mapped[str | None] = mapped_column(String(40))
    # Bank transfer: one staff member records the receipt, a second confirms it.
    transfer_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    transfer_reference: Mapped[str | None] = mapped_column(String(80))
    transfer_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transfer_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfer_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transfer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Events (issue 8): the event an organiser's (kind EVENT) or an attendee's (kind OFFSET)
    # order covers, and for organiser orders the organiser's share of the footprint, in kg,
    # that the order completes (what its certificate states).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    event_cover_kg: Mapped[int | None] = mapped_column(BigInteger)
    # What went back so far: a partial refund (the surplus of an event's true-up) returns
    # the kilograms from the end of the order's serials and the money pro rata; a full
    # refund makes them the whole order.
    refunded_amount: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0.00"), server_default="0"
    )
    refunded_kg: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A bank-transfer order's partial refund waits for staff to send the money back: the
    # kilograms the organiser asked for and when (None: no request open).
    refund_requested_kg: Mapped[int | None] = mapped_column(BigInteger)
    refund_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_reason: Mapped[str | None] = mapped_column(String(200))
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))
    # Why a payment could not be applied (wrong amount, sold out after the hold lapsed…).
    problem: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    project: Mapped[SinkProject | None] = relationship()
    allocation: Mapped[Allocation | None] = relationship()
    site: Mapped[MemorialSite | None] = relationship()
    plot_items: Mapped[list[OrderPlot]] = relationship(
        back_populates="order", order_by="OrderPlot.id", cascade="all, delete-orphan"
    )

    @property
    def amount_fen(self) -> int:
        return int(self.amount * 100)

    @property
    def refunded_fen(self) -> int:
        return int((self.refunded_amount or 0) * 100)

    @property
    def retained_kg(self) -> int:
        """The kilograms still retired for the order (its quantity less what was refunded)."""
        return self.quantity_kg - (self.refunded_kg or 0)

    @property
    def partly_refunded(self) -> bool:
        return bool(self.refunded_kg) and self.retained_kg > 0


class OrderPlot(Base):
    """A plot an order sponsors, and (group sponsorship) the name it is dedicated to."""

    __tablename__ = "order_plots"
    __table_args__ = (UniqueConstraint("order_id", "plot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("plots.id"), index=True)
    # None: the order's beneficiary name; set when an organisation names each plot (CSV).
    sponsor_name: Mapped[str | None] = mapped_column(String(120))

    order: Mapped[Order] = relationship(back_populates="plot_items")
    plot: Mapped[Plot] = relationship()


class PaymentEvent(Base):
    """Every provider event we accepted, once: the id is unique per provider."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemoCheckout(Base):
    """The demo provider's own record of a checkout session, standing in for Stripe's."""

    __tablename__ = "demo_checkouts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(16), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|complete|expired
    payment_status: Mapped[str] = mapped_column(String(16), default="unpaid")  # unpaid|paid
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
