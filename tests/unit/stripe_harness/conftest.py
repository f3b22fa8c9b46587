"""Fixtures for the Stripe harness tests: localstripe, the Checkout fake and an SDK client."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.support.stripe_fake import StripeFake


@pytest.fixture
def stripe_client(stripe_fake: StripeFake) -> stripe.StripeClient:
    """The real SDK, as the app builds it, pointed at the fake."""
    return stripe.StripeClient(
        "sk_test_123", base_addresses={"api": stripe_fake.url}, max_network_retries=0
    )


@pytest.fixture
def checkout_params() -> dict[str, Any]:
    """A CNY payment-mode session taking card, Alipay and WeChat Pay: ¥128.00 + 2 × ¥35.50."""
    return {
        "mode": "payment",
        "currency": "cny",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "cny",
                    "unit_amount": 12800,
                    "product_data": {"name": "碳汇 1 吨"},
                },
            },
            {
                "quantity": 2,
                "price_data": {
                    "currency": "cny",
                    "unit_amount": 3550,
                    "product_data": {"name": "纪念树"},
                },
            },
        ],
        "payment_method_types": ["card", "alipay", "wechat_pay"],
        "payment_method_options": {"wechat_pay": {"client": "web"}},
        "client_reference_id": "TH-ORDER-1",
        "metadata": {"order_ref": "TH-ORDER-1"},
        "payment_intent_data": {"metadata": {"order_ref": "TH-ORDER-1"}},
        "success_url": "https://tanhui.test/pay/done?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://tanhui.test/pay/cancelled",
        "expires_at": int(time.time()) + 3600,
        "locale": "zh",
    }
