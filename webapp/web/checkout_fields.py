"""What every purchase form shares: the payment choices and the provider's return URLs."""

from __future__ import annotations

import re

from flask import Flask, current_app, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from webapp.i18n import current_lang
from webapp.models import PaymentMethod, User
from webapp.services.payments import gateway
from webapp.services.payments.providers import BuyerClient

_PHONE = re.compile(r"Mobile|Android|iPhone|iPod|HarmonyOS|Windows Phone", re.IGNORECASE)
# WeChat's own browser: WeChat Pay there needs JSAPI (an official account), which we do
# not offer, and WeChat blocks Alipay's pages.
_WECHAT = re.compile(r"MicroMessenger", re.IGNORECASE)
_DIRECT = (PaymentMethod.WECHAT_PAY, PaymentMethod.ALIPAY)


def on_phone() -> bool:
    """The buyer's browser is a phone's (its user agent, or Chrome's mobile hint)."""
    agent = request.headers.get("User-Agent", "")
    return bool(_PHONE.search(agent)) or request.headers.get("Sec-CH-UA-Mobile") == "?1"


def in_wechat_browser() -> bool:
    return bool(_WECHAT.search(request.headers.get("User-Agent", "")))


def buyer_client() -> BuyerClient:
    return BuyerClient(mobile=on_phone(), ip=request.remote_addr or "127.0.0.1")


def _online_label(method: PaymentMethod) -> str:
    if method is PaymentMethod.DEMO:
        return _("Pay online (demonstration)")
    if method is PaymentMethod.WECHAT_PAY:
        return _("WeChat Pay (微信支付)")
    if method is PaymentMethod.ALIPAY:
        return _("Alipay (支付宝)")
    return _("Pay online: card, Alipay or WeChat Pay")


def payment_choices(user: User) -> list[SelectChoice]:
    """The online methods configured (the demo provider, Stripe, WeChat Pay, Alipay), plus
    bank transfer for organisations. Inside WeChat's browser WeChat Pay and Alipay cannot
    be used (see ``in_wechat_browser``) and are not offered; the form says why."""
    config = current_app.config
    wechat = in_wechat_browser()
    methods = [
        SelectChoice(method.value, _online_label(method))
        for method in gateway.online_methods(config)
        if not (wechat and method in _DIRECT)
    ]
    if user.can_pay_by_transfer and gateway.bank_transfer_offered(config):
        methods.append(
            SelectChoice(PaymentMethod.BANK_TRANSFER.value, _("Bank transfer (对公转账)"))
        )
    return methods


def default_method() -> str:
    offered = [
        method
        for method in gateway.online_methods(current_app.config)
        if not (in_wechat_browser() and method in _DIRECT)
    ]
    return (offered[0] if offered else gateway.online_method(current_app.config)).value


def direct_methods_hidden() -> bool:
    """WeChat Pay or Alipay is configured but hidden because this is WeChat's browser."""
    return in_wechat_browser() and any(
        method in _DIRECT for method in gateway.online_methods(current_app.config)
    )


def register_checkout_globals(app: Flask) -> None:
    app.jinja_env.globals["direct_methods_hidden"] = direct_methods_hidden


def return_urls(ref: str) -> tuple[str, str]:
    """Where the provider sends the buyer back: the return page, or the order on cancel."""
    base = current_app.config["BASE_URL"]
    success = base + url_for("orders.returned", ref=ref) + "?session_id={CHECKOUT_SESSION_ID}"
    return success, base + url_for("orders.detail", ref=ref)


def order_locale() -> str:
    """The locale an order (its receipt, its certificate) is written in: the reader's."""
    return "en" if current_lang() == "en" else "zh_CN"
