"""Stripe Checkout through a ``StripeClient`` instance (never the global api key).

``STRIPE_API_BASE`` points the SDK at another server (tests use a local one). Every
creating call carries an idempotency key derived from our order, so a retried request
creates nothing twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy.orm import Session

from webapp.models import Order
from webapp.services.payments.providers import (
    REFUNDED,
    BuyerClient,
    Checkout,
    CheckoutView,
    ProviderError,
    ProviderEvent,
    SignatureError,
)

SIGNATURE_TOLERANCE_SECONDS = 300


def _id(value: Any) -> str | None:
    """An expandable field: a bare id, or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def _fen(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class StripeProvider:
    name = "stripe"

    def __init__(self, config: dict[str, Any]) -> None:
        if not config.get("STRIPE_SECRET_KEY"):
            raise ProviderError("STRIPE_SECRET_KEY is not set")
        options: dict[str, Any] = {"max_network_retries": 2}
        if config.get("STRIPE_API_BASE"):
            options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
        self.client = stripe.StripeClient(config["STRIPE_SECRET_KEY"], **options)
        self.webhook_secret = config.get("STRIPE_WEBHOOK_SECRET") or ""
        self.payment_methods = list(config.get("STRIPE_PAYMENT_METHODS") or ["card"])

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
        params: dict[str, Any] = {
            "mode": "payment",
            "currency": order.currency.lower(),
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": order.amount_fen,
                        "product_data": {"name": description},
                    },
                }
            ],
            "payment_method_types": self.payment_methods,
            "client_reference_id": order.ref,
            "metadata": {"order_ref": order.ref},
            "payment_intent_data": {"metadata": {"order_ref": order.ref}},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": int(expires_at.timestamp()),
            "locale": "zh" if order.locale.startswith("zh") else "en",
        }
        if "wechat_pay" in self.payment_methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        try:
            created = self.client.v1.checkout.sessions.create(
                params, options={"idempotency_key": f"checkout-{order.ref}"}
            )
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return Checkout(session_id=created["id"], url=created["url"])

    def retrieve(self, session: Session, session_id: str) -> CheckoutView:
        try:
            found = self.client.v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        metadata = found.get("metadata") or {}
        return CheckoutView(
            session_id=found["id"],
            order_ref=metadata.get("order_ref") or found.get("client_reference_id"),
            status=found.get("status") or "open",
            payment_status=found.get("payment_status") or "unpaid",
            amount_fen=found.get("amount_total"),
            currency=found.get("currency"),
            payment_id=_id(found.get("payment_intent")),
        )

    def expire(self, session: Session, session_id: str) -> None:
        try:
            self.client.v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError:
            pass  # already complete or expired: the re-fetch tells which
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def refund(
        self,
        session: Session,
        order: Order,
        *,
        amount_fen: int | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        if not order.provider_payment_id:
            raise ProviderError("the order has no Stripe payment to refund")
        params: dict[str, Any] = {
            "payment_intent": order.provider_payment_id,
            "metadata": {"order_ref": order.ref},
        }
        if amount_fen is not None:
            params["amount"] = amount_fen
        try:
            refund = self.client.v1.refunds.create(
                params, options={"idempotency_key": idempotency_key or f"refund-{order.ref}"}
            )
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        if refund.get("status") in ("failed", "canceled"):
            raise ProviderError(f"Stripe refused the refund ({refund.get('status')})")
        return refund["id"]

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        if not signature or not self.webhook_secret:
            raise SignatureError("missing signature")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature,
                self.webhook_secret,
                SIGNATURE_TOLERANCE_SECONDS,
            )
            data = json.loads(payload)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise SignatureError(str(exc)) from exc
        return event_from_json(data)


def event_from_json(data: dict[str, Any]) -> ProviderEvent:
    """Our view of a Stripe-shaped event (also what the demo provider emits)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise SignatureError("not an event")
    kind = str(data.get("type") or "")
    obj = (data.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        obj = {}
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if kind == REFUNDED:
        return ProviderEvent(
            id=data["id"],
            type=kind,
            order_ref=metadata.get("order_ref"),
            payment_id=_id(obj.get("payment_intent")),
            refunded_fen=_fen(obj.get("amount_refunded")),
            charged_fen=_fen(obj.get("amount")),
            raw=data,
        )
    return ProviderEvent(
        id=data["id"],
        type=kind,
        session_id=obj.get("id")
        if str(obj.get("object", "checkout.session")).startswith("checkout")
        else None,
        order_ref=metadata.get("order_ref") or obj.get("client_reference_id"),
        raw=data,
    )
