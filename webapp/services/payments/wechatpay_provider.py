"""WeChat Pay (微信支付) API v3 for a direct merchant, through the ``wechatpayv3`` SDK.

* Checkout: Native (``code_url``, shown as a QR code on a computer; the order page polls
  the order's status) or H5 (``h5_url``, the phone's browser is sent there). The trade's
  ``out_trade_no`` is the order's ref; ``time_expire`` is the checkout's end.
* Notifications (payments and refunds) are verified with the platform's public key or
  certificate: RSA-SHA256 over ``timestamp\\nnonce\\nbody\\n`` from the ``Wechatpay-*``
  headers, a timestamp at most five minutes old, then the resource is decrypted with the
  APIv3 key (AEAD_AES_256_GCM). The notification is never trusted for money: the handler
  re-queries the order (``retrieve``), as for Stripe.
* Query, close, refund and partial refund (``out_refund_no`` is our idempotency key, so a
  retried refund is one refund at WeChat Pay).

``WECHATPAY_API_BASE`` points the SDK at another server (tests use a local one that signs
its answers like WeChat Pay); the SDK has no public option for it, so its gateway
attribute is set after construction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from wechatpayv3 import WeChatPay, WeChatPayType

from webapp.models import Order
from webapp.services.payments.providers import (
    COMPLETED,
    REFUND_FAILED,
    REFUNDED,
    BuyerClient,
    Checkout,
    CheckoutView,
    ProviderError,
    ProviderEvent,
    SignatureError,
)

# WeChat Pay speaks Beijing time (RFC 3339 with +08:00) whatever our display zone is.
BEIJING = timezone(timedelta(hours=8))
SIGNATURE_TOLERANCE_SECONDS = 300
NOTIFY_PATH = "/webhooks/wechatpay"
# trade_state -> (our status, payment_status)
_STATES = {
    "SUCCESS": ("complete", "paid"),
    "REFUND": ("complete", "paid"),  # paid, then (partly) refunded
    "NOTPAY": ("open", "unpaid"),
    "USERPAYING": ("open", "unpaid"),
    "CLOSED": ("expired", "unpaid"),
    "REVOKED": ("expired", "unpaid"),
    "PAYERROR": ("expired", "unpaid"),
}


def configured(config: Mapping[str, Any]) -> bool:
    keys = (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_CERT_SERIAL_NO",
        "WECHATPAY_PRIVATE_KEY_PATH",
        "WECHATPAY_APIV3_KEY",
    )
    verifier = (
        config.get("WECHATPAY_PUBLIC_KEY_PATH") and config.get("WECHATPAY_PUBLIC_KEY_ID")
    ) or config.get("WECHATPAY_CERT_DIR")
    return all(config.get(k) for k in keys) and bool(verifier)


def _read(path: str | None) -> str | None:
    return Path(path).read_text() if path else None


def _json(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class WeChatPayProvider:
    name = "wechat_pay"

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not configured(config):
            raise ProviderError("WeChat Pay is not configured")
        self.mchid = str(config["WECHATPAY_MCHID"])
        self.appid = str(config["WECHATPAY_APPID"])
        try:
            self.client = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE,
                mchid=self.mchid,
                private_key=_read(config["WECHATPAY_PRIVATE_KEY_PATH"]),
                cert_serial_no=config["WECHATPAY_CERT_SERIAL_NO"],
                appid=self.appid,
                apiv3_key=config["WECHATPAY_APIV3_KEY"],
                notify_url=str(config["BASE_URL"]) + NOTIFY_PATH,
                cert_dir=config.get("WECHATPAY_CERT_DIR") or None,
                public_key=_read(config.get("WECHATPAY_PUBLIC_KEY_PATH")),
                public_key_id=config.get("WECHATPAY_PUBLIC_KEY_ID") or None,
                timeout=(5, 20),
            )
        except Exception as exc:  # the SDK raises bare Exceptions for keys and certificates
            raise ProviderError(f"WeChat Pay could not start: {exc}") from exc
        if config.get("WECHATPAY_API_BASE"):
            self.client._core._gate_way = str(config["WECHATPAY_API_BASE"]).rstrip("/")

    def _call(self, method, **kwargs) -> tuple[int, dict[str, Any]]:
        try:
            code, body = method(**kwargs)
        except Exception as exc:  # network errors, and a response whose signature fails
            raise ProviderError(f"WeChat Pay: {exc}") from exc
        return code, _json(body)

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
        client = client or BuyerClient()
        params: dict[str, Any] = {
            "description": description[:127],
            "out_trade_no": order.ref,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
            "time_expire": expires_at.astimezone(BEIJING).isoformat(timespec="seconds"),
            "attach": order.ref,
        }
        if client.mobile:
            params["pay_type"] = WeChatPayType.H5
            params["scene_info"] = {"payer_client_ip": client.ip, "h5_info": {"type": "Wap"}}
        else:
            params["pay_type"] = WeChatPayType.NATIVE
        code, data = self._call(self.client.pay, **params)
        if code != 200:
            raise ProviderError(f"WeChat Pay refused the order: {data.get('code')}")
        if client.mobile:
            if not data.get("h5_url"):
                raise ProviderError("WeChat Pay answered without h5_url")
            # WeChat sends the buyer back here once they paid or gave up.
            back = quote(success_url.split("?", 1)[0], safe="")
            return Checkout(session_id=order.ref, url=f"{data['h5_url']}&redirect_url={back}")
        if not str(data.get("code_url") or "").startswith("weixin://"):
            raise ProviderError("WeChat Pay answered without code_url")
        return Checkout(session_id=order.ref, url=data["code_url"])

    def retrieve(self, session: Session, session_id: str) -> CheckoutView:
        code, data = self._call(self.client.query, out_trade_no=session_id)
        if code == 404:
            return CheckoutView(session_id, None, "open", "unpaid", None, None, None)
        if code != 200:
            raise ProviderError(f"WeChat Pay order query failed: {data.get('code')}")
        if str(data.get("mchid")) != self.mchid:
            raise ProviderError("WeChat Pay answered for another merchant")
        status, payment_status = _STATES.get(str(data.get("trade_state")), ("open", "unpaid"))
        amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        return CheckoutView(
            session_id=session_id,
            order_ref=data.get("out_trade_no"),
            status=status,
            payment_status=payment_status,
            amount_fen=_int(amount.get("total")),
            currency=str(amount.get("currency") or "").lower() or None,
            payment_id=data.get("transaction_id") if payment_status == "paid" else None,
        )

    def expire(self, session: Session, session_id: str) -> None:
        code, data = self._call(self.client.close, out_trade_no=session_id)
        if code >= 500:
            raise ProviderError(f"WeChat Pay could not close the order: {data.get('code')}")
        # 204 closed; 400 ORDERPAID / ORDER_CLOSED: the re-query says which.

    def refund(
        self,
        session: Session,
        order: Order,
        *,
        amount_fen: int | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        if not order.provider_payment_id:
            raise ProviderError("the order has no WeChat Pay transaction to refund")
        left = order.amount_fen - order.refunded_fen
        fen = left if amount_fen is None else amount_fen
        code, data = self._call(
            self.client.refund,
            out_refund_no=idempotency_key or f"refund-{order.ref}",
            amount={"refund": fen, "total": order.amount_fen, "currency": "CNY"},
            transaction_id=order.provider_payment_id,
            reason=f"Tanhui {order.ref}",
        )
        if code != 200:
            raise ProviderError(str(data.get("message") or data.get("code") or code)[:200])
        if data.get("status") not in ("SUCCESS", "PROCESSING"):
            raise ProviderError(f"WeChat Pay refused the refund ({data.get('status')})")
        return str(data["refund_id"])

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> ProviderEvent:
        """A verified, decrypted notification (payment or refund) as our event."""
        now = time.time() if now is None else now
        try:
            timestamp = int(headers.get("Wechatpay-Timestamp") or "")
        except ValueError as exc:
            raise SignatureError("missing timestamp") from exc
        if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise SignatureError("timestamp outside the tolerance (late or replayed)")
        try:
            data = self.client.callback(headers, body.decode("utf-8"))
        except Exception as exc:
            raise SignatureError(f"unverifiable notification: {exc}") from exc
        if not data or not isinstance(data.get("resource"), dict) or not data.get("id"):
            raise SignatureError("signature or decryption failed")
        resource = data["resource"]
        if str(resource.get("mchid")) != self.mchid:
            raise SignatureError("notification for another merchant")
        kind = str(data.get("event_type") or "")
        amount = resource.get("amount") if isinstance(resource.get("amount"), dict) else {}
        if kind == "TRANSACTION.SUCCESS":
            if resource.get("appid") != self.appid:
                raise SignatureError("notification for another app")
            return ProviderEvent(
                id=str(data["id"]),
                type=COMPLETED,
                session_id=resource.get("out_trade_no"),
                order_ref=resource.get("out_trade_no"),
                payment_id=resource.get("transaction_id"),
                amount_fen=_int(amount.get("total")),
                currency=str(amount.get("currency") or "").lower() or None,
                raw=data,
            )
        if kind == "REFUND.SUCCESS":
            return ProviderEvent(
                id=str(data["id"]),
                type=REFUNDED,
                order_ref=resource.get("out_trade_no"),
                payment_id=resource.get("transaction_id"),
                refunded_fen=_int(amount.get("refund")),
                charged_fen=_int(amount.get("total")),
                refund_request_id=str(resource.get("out_refund_no") or ""),
                raw=data,
            )
        if kind in ("REFUND.ABNORMAL", "REFUND.CLOSED"):
            return ProviderEvent(
                id=str(data["id"]),
                type=REFUND_FAILED,
                order_ref=resource.get("out_trade_no"),
                payment_id=resource.get("transaction_id"),
                refund_request_id=str(resource.get("out_refund_no") or ""),
                raw=data,
            )
        # Anything new: acknowledged, logged, ignored.
        return ProviderEvent(id=str(data["id"]), type=f"wechatpay.{kind.lower()}", raw=data)
