"""What every purchase form shares: the payment choices and the provider's return URLs."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from webapp.i18n import current_lang
from webapp.models import PaymentMethod, User
from webapp.services.payments import gateway


def payment_choices(user: User) -> list[SelectChoice]:
    """Online payment (Stripe or the demo provider), plus bank transfer for organisations."""
    config = current_app.config
    online = gateway.online_method(config)
    methods = [
        SelectChoice(
            online.value,
            _("Pay online (demonstration)")
            if online is PaymentMethod.DEMO
            else _("Pay online: card, Alipay or WeChat Pay"),
        )
    ]
    if user.can_pay_by_transfer and gateway.bank_transfer_offered(config):
        methods.append(
            SelectChoice(PaymentMethod.BANK_TRANSFER.value, _("Bank transfer (对公转账)"))
        )
    return methods


def default_method() -> str:
    return gateway.online_method(current_app.config).value


def return_urls(ref: str) -> tuple[str, str]:
    """Where the provider sends the buyer back: the return page, or the order on cancel."""
    base = current_app.config["BASE_URL"]
    success = base + url_for("orders.returned", ref=ref) + "?session_id={CHECKOUT_SESSION_ID}"
    return success, base + url_for("orders.detail", ref=ref)


def order_locale() -> str:
    """The locale an order (its receipt, its certificate) is written in: the reader's."""
    return "en" if current_lang() == "en" else "zh_CN"
