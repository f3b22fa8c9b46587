"""The demonstration provider: the whole payment journey offline, never in production.

It keeps its own checkout records (``DemoCheckout``) the way Stripe keeps sessions, and
its Pay and Cancel buttons emit events signed with Stripe's scheme under a key derived
from ``SECRET_KEY``. Those events go through exactly the handler Stripe's webhooks use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy.orm import Session

from webapp.models import DemoCheckout, Order
from webapp.models.base import utcnow
from webapp.services.payments.providers import (
    COMPLETED,
    EXPIRED,
    BuyerClient,
    Checkout,
    CheckoutView,
    ProviderError,
    ProviderEvent,
    SignatureError,
)
from webapp.services.payments.stripe_provider import SIGNATURE_TOLERANCE_SECONDS, event_from_json


def _event_secret(config: dict[str, Any]) -> str:
    key = str(config["SECRET_KEY"]).encode()
    return "whsec_demo_" + hmac.new(key, b"tanhui-demo-events", hashlib.sha256).hexdigest()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value: ``t=…,v1=HMAC-SHA256(secret, "t.payload")``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class DemoProvider:
    name = "demo"

    def __init__(self, config: dict[str, Any]) -> None:
        if config.get("ENV_NAME") == "production":
            raise ProviderError("the demo provider is refused in production")
        self.secret = _event_secret(config)

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
    ) -> Checkout:
        checkout = DemoCheckout(
            id="cs_demo_" + secrets.token_hex(12),
            order_ref=order.ref,
            amount_fen=order.amount_fen,
            currency=order.currency.lower(),
            expires_at=expires_at,
        )
        session.add(checkout)
        session.flush()
        return Checkout(session_id=checkout.id, url=f"/pay/demo/{checkout.id}")

    def _get(self, session: Session, session_id: str) -> DemoCheckout:
        checkout = session.get(DemoCheckout, session_id)
        if checkout is None:
            raise ProviderError(f"no demo checkout {session_id}")
        return checkout

    def retrieve(self, session: Session, session_id: str) -> CheckoutView:
        checkout = self._get(session, session_id)
        if checkout.status == "open" and checkout.expires_at <= utcnow():
            checkout.status = "expired"
        return CheckoutView(
            session_id=checkout.id,
            order_ref=checkout.order_ref,
            status=checkout.status,
            payment_status=checkout.payment_status,
            amount_fen=checkout.amount_fen,
            currency=checkout.currency,
            payment_id=f"pi_demo_{checkout.id[8:]}" if checkout.payment_status == "paid" else None,
        )

    def expire(self, session: Session, session_id: str) -> None:
        checkout = self._get(session, session_id)
        if checkout.status == "open":
            checkout.status = "expired"

    def refund(
        self,
        session: Session,
        order: Order,
        *,
        amount_fen: int | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        checkout = self._get(session, order.provider_session_id or "")
        if checkout.payment_status != "paid":
            raise ProviderError("nothing was paid on this demo checkout")
        left = checkout.amount_fen - checkout.refunded_fen
        if amount_fen is None:
            amount_fen = left
        if not 0 < amount_fen <= left:
            raise ProviderError("the refund exceeds what is left of the demo payment")
        # Kept in our own database, so the refund commits or rolls back with the order.
        checkout.refunded_fen += amount_fen
        if amount_fen == checkout.amount_fen:
            return f"re_demo_{checkout.id[8:]}"
        return f"re_demo_{checkout.id[8:]}_{checkout.refunded_fen}"

    # The demo page's buttons. Each changes the provider's record, then returns the
    # signed event Stripe would send, for the caller to hand to the webhook handler.

    def pay(self, session: Session, session_id: str) -> tuple[bytes, str]:
        checkout = self._get(session, session_id)
        if checkout.status == "open" and checkout.expires_at <= utcnow():
            checkout.status = "expired"
        if checkout.status == "open":
            checkout.status = "complete"
            checkout.payment_status = "paid"
        if checkout.status != "complete":
            raise ProviderError("this demo checkout has expired")
        return self._signed(COMPLETED, checkout)

    def cancel(self, session: Session, session_id: str) -> tuple[bytes, str]:
        checkout = self._get(session, session_id)
        if checkout.status == "open":
            checkout.status = "expired"
        if checkout.status != "expired":
            raise ProviderError("this demo checkout is already paid")
        return self._signed(EXPIRED, checkout)

    def _signed(self, kind: str, checkout: DemoCheckout) -> tuple[bytes, str]:
        event = {
            "id": "evt_demo_" + secrets.token_hex(12),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": checkout.id,
                    "object": "checkout.session",
                    "metadata": {"order_ref": checkout.order_ref},
                }
            },
        }
        payload = json.dumps(event, separators=(",", ":")).encode()
        return payload, sign(payload, self.secret)

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        if not signature:
            raise SignatureError("missing signature")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self.secret, SIGNATURE_TOLERANCE_SECONDS
            )
            data = json.loads(payload)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise SignatureError(str(exc)) from exc
        return event_from_json(data)
