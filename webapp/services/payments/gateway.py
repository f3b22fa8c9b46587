"""Which providers serve an order, from configuration.

The "online" slot is Stripe when configured, else the demo provider (``PAYMENT_PROVIDER``;
``none`` when only WeChat Pay or Alipay are configured). WeChat Pay and Alipay are offered
beside it, each once all its settings are present.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from webapp.models import PaymentMethod
from webapp.services.payments import alipay_provider, wechatpay_provider
from webapp.services.payments.alipay_provider import AlipayProvider
from webapp.services.payments.demo_provider import DemoProvider
from webapp.services.payments.providers import PaymentProvider, ProviderError
from webapp.services.payments.stripe_provider import StripeProvider
from webapp.services.payments.wechatpay_provider import WeChatPayProvider

_lock = threading.Lock()
# One client per process and configuration: it keeps its HTTP connections and keys.
_clients: dict[tuple[Hashable, ...], Any] = {}

_SETTINGS = {
    PaymentMethod.STRIPE: ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET"),
    PaymentMethod.WECHAT_PAY: (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_CERT_SERIAL_NO",
        "WECHATPAY_PRIVATE_KEY_PATH",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_PUBLIC_KEY_PATH",
        "WECHATPAY_PUBLIC_KEY_ID",
        "WECHATPAY_CERT_DIR",
        "WECHATPAY_API_BASE",
        "BASE_URL",
    ),
    PaymentMethod.ALIPAY: (
        "ALIPAY_APP_ID",
        "ALIPAY_APP_PRIVATE_KEY_PATH",
        "ALIPAY_PUBLIC_KEY_PATH",
        "ALIPAY_GATEWAY",
        "BASE_URL",
    ),
}
_FACTORIES = {
    PaymentMethod.STRIPE: StripeProvider,
    PaymentMethod.WECHAT_PAY: WeChatPayProvider,
    PaymentMethod.ALIPAY: AlipayProvider,
}


def online_methods(config: dict[str, Any]) -> list[PaymentMethod]:
    """The online methods offered to buyers, the default first."""
    name = config.get("PAYMENT_PROVIDER") or "demo"
    if name not in ("stripe", "demo", "none"):
        raise ProviderError(f"unknown PAYMENT_PROVIDER {name!r}")
    methods = [] if name == "none" else [PaymentMethod(name)]
    if wechatpay_provider.configured(config):
        methods.append(PaymentMethod.WECHAT_PAY)
    if alipay_provider.configured(config):
        methods.append(PaymentMethod.ALIPAY)
    if not methods:
        raise ProviderError("no online payment provider is configured")
    return methods


def online_method(config: dict[str, Any]) -> PaymentMethod:
    """The default online method: Stripe when configured, else the demo (or the first of
    WeChat Pay and Alipay when neither is offered)."""
    return online_methods(config)[0]


def provider_for(config: dict[str, Any], method: PaymentMethod) -> PaymentProvider | None:
    """The provider object for orders paid with ``method`` (None for bank transfer)."""
    if method is PaymentMethod.BANK_TRANSFER:
        return None
    if method is PaymentMethod.DEMO:
        return DemoProvider(config)
    cache_key = (method, *(str(config.get(key)) for key in _SETTINGS[method]))
    with _lock:
        if cache_key not in _clients:
            _clients[cache_key] = _FACTORIES[method](config)
        return _clients[cache_key]


def bank_transfer_offered(config: dict[str, Any]) -> bool:
    return bool(config.get("BANK_ACCOUNT_NUMBER")) or bool(config.get("BANK_DEMO"))
