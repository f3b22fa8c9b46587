"""Which provider serves an order, from configuration."""

from __future__ import annotations

import threading
from typing import Any

from webapp.models import PaymentMethod
from webapp.services.payments.demo_provider import DemoProvider
from webapp.services.payments.providers import PaymentProvider, ProviderError
from webapp.services.payments.stripe_provider import StripeProvider

_lock = threading.Lock()
_stripe: dict[tuple[str, str, str], StripeProvider] = {}


def online_method(config: dict[str, Any]) -> PaymentMethod:
    """The online method offered to buyers: Stripe when configured, else the demo."""
    name = config.get("PAYMENT_PROVIDER") or "demo"
    if name not in ("stripe", "demo"):
        raise ProviderError(f"unknown PAYMENT_PROVIDER {name!r}")
    return PaymentMethod(name)


def provider_for(config: dict[str, Any], method: PaymentMethod) -> PaymentProvider | None:
    """The provider object for orders paid with ``method`` (None for bank transfer)."""
    if method is PaymentMethod.BANK_TRANSFER:
        return None
    if method is PaymentMethod.DEMO:
        return DemoProvider(config)
    cache_key = (
        str(config.get("STRIPE_SECRET_KEY")),
        str(config.get("STRIPE_API_BASE")),
        str(config.get("STRIPE_WEBHOOK_SECRET")),
    )
    # One client per process and configuration: it keeps its HTTP connections.
    with _lock:
        if cache_key not in _stripe:
            _stripe[cache_key] = StripeProvider(config)
        return _stripe[cache_key]


def bank_transfer_offered(config: dict[str, Any]) -> bool:
    return bool(config.get("BANK_ACCOUNT_NUMBER")) or bool(config.get("BANK_DEMO"))
