"""Alipay (支付宝) for a direct merchant, through ``python-alipay-sdk`` (RSA2).

* Checkout: the order's ``out_trade_no`` is its ref; nothing is created at Alipay until the
  buyer goes to pay. ``/pay/alipay/<ref>`` then sends them to a freshly signed
  ``alipay.trade.page.pay`` (computer) or ``alipay.trade.wap.pay`` (phone) request with
  ``time_expire`` at the checkout's end.
* Asynchronous notifications (form posts) are verified with Alipay's public key (RSA2
  over the sorted parameters without ``sign`` and ``sign_type``), must name our app id and
  be sent within Alipay's retry window; they are answered ``success``. Amounts are
  re-queried (``alipay.trade.query``) before fulfilment, as for Stripe.
* Query, close, refund and partial refund (``out_request_no`` is our idempotency key).
  Refund notifications carry the cumulative ``refund_fee``, as Stripe's
  ``charge.refunded`` carries ``amount_refunded``.

``ALIPAY_GATEWAY`` points the SDK at another server (tests use a local one that verifies
our signatures and signs its answers like Alipay).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from sqlalchemy.orm import Session

from webapp.models import Order
from webapp.services.payments.providers import (
    COMPLETED,
    EXPIRED,
    REFUNDED,
    BuyerClient,
    Checkout,
    CheckoutView,
    ProviderError,
    ProviderEvent,
    SignatureError,
)

BEIJING = timezone(timedelta(hours=8))
NOTIFY_PATH = "/webhooks/alipay"
# Alipay retries an unanswered notification for about 25 hours (4 m … 15 h); anything
# signed earlier than this is a replay.
NOTIFICATION_WINDOW = timedelta(hours=26)
CLOCK_SKEW = timedelta(minutes=5)
_STATES = {
    "TRADE_SUCCESS": ("complete", "paid"),
    "TRADE_FINISHED": ("complete", "paid"),
    "WAIT_BUYER_PAY": ("open", "unpaid"),
    "TRADE_CLOSED": ("expired", "unpaid"),
}


def configured(config: Mapping[str, Any]) -> bool:
    keys = ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH")
    return all(config.get(k) for k in keys)


def fen(value: Any) -> int | None:
    """``"192.00"`` (yuan, as Alipay writes amounts) in fen; None if not an amount."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def yuan(amount_fen: int) -> str:
    return f"{Decimal(amount_fen) / 100:.2f}"


class AlipayProvider:
    name = "alipay"

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not configured(config):
            raise ProviderError("Alipay is not configured")
        self.appid = str(config["ALIPAY_APP_ID"])
        self.notify_url = str(config["BASE_URL"]) + NOTIFY_PATH
        try:
            self.client = AliPay(
                appid=self.appid,
                app_notify_url=self.notify_url,
                app_private_key_string=Path(config["ALIPAY_APP_PRIVATE_KEY_PATH"]).read_text(),
                alipay_public_key_string=Path(config["ALIPAY_PUBLIC_KEY_PATH"]).read_text(),
                sign_type="RSA2",
                config=AliPayConfig(timeout=15),
            )
        except (OSError, ValueError, AliPayException) as exc:
            raise ProviderError(f"Alipay could not start: {exc}") from exc
        self.gateway = str(config.get("ALIPAY_GATEWAY") or self.client._gateway)
        self.client._gateway = self.gateway

    def _api(self, method, **kwargs) -> dict[str, Any]:
        try:
            return method(**kwargs)
        except AliPayValidationError as exc:
            raise ProviderError("Alipay's answer failed its signature check") from exc
        except AliPayException as exc:
            raise ProviderError(f"Alipay: {str(exc)[:200]}") from exc
        except (OSError, ValueError) as exc:  # URLError is an OSError; bad JSON a ValueError
            raise ProviderError(f"Alipay could not be reached: {exc}") from exc

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
        # Nothing to create yet: the signed request is made when the buyer goes to pay.
        return Checkout(session_id=order.ref, url=f"/pay/alipay/{order.ref}")

    def pay_url(
        self,
        order: Order,
        *,
        mobile: bool,
        return_url: str,
        description: str,
        expires_at: datetime,
    ) -> str:
        """The signed page-pay (computer) or WAP-pay (phone) address to send the buyer to."""
        kwargs = {
            "subject": description[:128],
            "out_trade_no": order.ref,
            "total_amount": yuan(order.amount_fen),
            "return_url": return_url,
            "notify_url": self.notify_url,
            "time_expire": expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        }
        if mobile:
            kwargs["quit_url"] = return_url
            signed = self.client.api_alipay_trade_wap_pay(**kwargs)
        else:
            signed = self.client.api_alipay_trade_page_pay(**kwargs)
        return f"{self.gateway}?{signed}"

    def retrieve(self, session: Session, session_id: str) -> CheckoutView:
        data = self._api(self.client.api_alipay_trade_query, out_trade_no=session_id)
        if data.get("code") != "10000":
            if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                # The buyer has not reached Alipay yet.
                return CheckoutView(session_id, None, "open", "unpaid", None, None, None)
            raise ProviderError(f"Alipay trade query failed: {data.get('sub_code')}")
        status, payment_status = _STATES.get(str(data.get("trade_status")), ("open", "unpaid"))
        return CheckoutView(
            session_id=session_id,
            order_ref=data.get("out_trade_no"),
            status=status,
            payment_status=payment_status,
            amount_fen=fen(data.get("total_amount")),
            currency=str(data.get("trans_currency") or "CNY").lower(),
            payment_id=data.get("trade_no") if payment_status == "paid" else None,
        )

    def expire(self, session: Session, session_id: str) -> None:
        data = self._api(self.client.api_alipay_trade_close, out_trade_no=session_id)
        # ACQ.TRADE_NOT_EXIST (never reached Alipay) or ACQ.TRADE_STATUS_ERROR (paid or
        # closed): the re-query says which.
        if data.get("code") not in ("10000", "40004"):
            raise ProviderError(f"Alipay could not close the trade: {data.get('sub_code')}")

    def refund(
        self,
        session: Session,
        order: Order,
        *,
        amount_fen: int | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        left = order.amount_fen - order.refunded_fen
        amount = left if amount_fen is None else amount_fen
        request_no = idempotency_key or f"refund-{order.ref}"
        data = self._api(
            self.client.api_alipay_trade_refund,
            refund_amount=yuan(amount),
            out_trade_no=order.ref,
            out_request_no=request_no,
            refund_reason=f"Tanhui {order.ref}",
        )
        if data.get("code") != "10000":
            raise ProviderError(str(data.get("sub_msg") or data.get("sub_code"))[:200])
        return f"{data.get('trade_no')}/{request_no}"

    def parse_notification(
        self, form: Mapping[str, str], *, now: datetime | None = None
    ) -> ProviderEvent:
        """A verified asynchronous notification (payment, closing or refund) as our event."""
        now = now or datetime.now(UTC)
        data = {k: str(v) for k, v in form.items()}
        signature = data.pop("sign", None)
        if not signature or data.get("sign_type") != "RSA2":
            raise SignatureError("missing signature")
        try:
            valid = self.client.verify(dict(data), signature)
        except (AliPayException, ValueError, TypeError) as exc:
            raise SignatureError(f"unverifiable notification: {exc}") from exc
        if not valid:
            raise SignatureError("bad signature")
        if data.get("app_id") != self.appid:
            raise SignatureError("notification for another app")
        try:
            sent = datetime.strptime(data.get("notify_time", "") + " +0800", "%Y-%m-%d %H:%M:%S %z")
        except ValueError as exc:
            raise SignatureError("missing notify_time") from exc
        if not now - NOTIFICATION_WINDOW <= sent <= now + CLOCK_SKEW:
            raise SignatureError("sent outside Alipay's retry window (late or replayed)")
        if not data.get("notify_id"):
            raise SignatureError("missing notify_id")
        status = data.get("trade_status", "")
        common = {
            "id": data["notify_id"],
            "order_ref": data.get("out_trade_no"),
            "payment_id": data.get("trade_no"),
            "raw": data,
        }
        if data.get("refund_fee") and data.get("gmt_refund"):
            return ProviderEvent(
                type=REFUNDED,
                refunded_fen=fen(data.get("refund_fee")),
                charged_fen=fen(data.get("total_amount")),
                **common,
            )
        if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return ProviderEvent(
                type=COMPLETED,
                session_id=data.get("out_trade_no"),
                amount_fen=fen(data.get("total_amount")),
                currency="cny",
                **common,
            )
        if status == "TRADE_CLOSED":
            return ProviderEvent(type=EXPIRED, session_id=data.get("out_trade_no"), **common)
        return ProviderEvent(type=f"alipay.{status.lower()}", **common)
