"""The provider interface and the values every provider speaks in.

Providers normalise what they know into ``CheckoutView`` and ``ProviderEvent``, so the
event handling and fulfilment code is one path for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from webapp.models import Order

# Event types the handler acts on (Stripe's names; the demo provider uses the same).
COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
REFUNDED = "charge.refunded"
# A refund we asked for did not reach the buyer (WeChat Pay's REFUND.ABNORMAL / CLOSED).
REFUND_FAILED = "refund.failed"
HANDLED_TYPES = frozenset(
    {COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, EXPIRED, REFUNDED, REFUND_FAILED}
)


class SignatureError(ValueError):
    """The event's signature is missing, wrong or too old."""


class ProviderError(RuntimeError):
    """The provider could not be reached or refused the request."""


@dataclass(frozen=True)
class Checkout:
    """A checkout session just created at the provider."""

    session_id: str
    url: str


@dataclass(frozen=True)
class CheckoutView:
    """What the provider says, right now, about a checkout session."""

    session_id: str
    order_ref: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_fen: int | None
    currency: str | None  # lower case, as Stripe writes it
    payment_id: str | None

    @property
    def paid(self) -> bool:
        return self.status == "complete" and self.payment_status == "paid"


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    session_id: str | None = None  # checkout.session.* events
    order_ref: str | None = None  # from the session's metadata, when present
    payment_id: str | None = None  # charge.refunded: the payment intent
    refunded_fen: int | None = None  # charge.refunded: amount_refunded, cumulative
    charged_fen: int | None = None  # charge.refunded: the charge's amount
    raw: dict[str, Any] | None = None
    # What a payment notification itself says was paid (WeChat Pay, Alipay): checked
    # against the order before anything else; the provider's record is then re-fetched.
    amount_fen: int | None = None
    currency: str | None = None
    # A refund notice about one refund (WeChat Pay's out_refund_no), not a running total.
    refund_request_id: str | None = None


@dataclass(frozen=True)
class BuyerClient:
    """The buyer's browser, for providers whose checkout differs by device (WeChat Pay's
    H5 on a phone, Native QR code on a computer)."""

    mobile: bool = False
    ip: str = "127.0.0.1"


class PaymentProvider(Protocol):
    name: str

    def create_checkout(
        self,
        session: Session,
        order: Order,
        *,
        success_url: str,
        cancel_url: str,
        expires_at: datetime,
        description: str,
        client: BuyerClient | None = None,
    ) -> Checkout: ...

    def retrieve(self, session: Session, session_id: str) -> CheckoutView: ...

    def expire(self, session: Session, session_id: str) -> None: ...

    def refund(
        self,
        session: Session,
        order: Order,
        *,
        amount_fen: int | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Give money back: all that is left (``amount_fen`` None) or that many fen."""
        ...

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent: ...
