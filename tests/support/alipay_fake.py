"""A local Alipay open-platform gateway for tests (RSA2), so the real ``python-alipay-sdk``
talks to it unchanged.

    fake = AlipayFake(tmp_path).start()         # or the ``alipay_fake`` fixture
    app.config.update(fake.app_config())        # ALIPAY_* incl. ALIPAY_GATEWAY
    fake.open(pay_url)                           # the browser reached Alipay's cashier
    fake.pay(order.ref)                          # the buyer paid
    client.post("/webhooks/alipay", data=fake.payment_notification(order.ref))
    fake.stop()

Keys: the fake makes the app's key pair (the private key written for the app; the public
half kept, as Alipay keeps the "应用公钥") and Alipay's own key pair (its public key
written for the app, the "支付宝公钥").

HTTP (127.0.0.1, a free port), ``/gateway.do``:

* Every request's parameters are checked as Alipay does: ``app_id`` ours, ``sign_type``
  RSA2, ``charset`` utf-8, ``timestamp`` within 10 minutes, and ``sign`` (RSA-SHA256 with
  the app key over the parameters other than ``sign``, sorted, ``k=v`` joined by ``&``)
  verifying; otherwise ``isv.invalid-signature`` (40002). (Notifications and returns are
  signed without ``sign_type`` too, as Alipay does.)
* ``alipay.trade.page.pay`` / ``alipay.trade.wap.pay`` (the buyer's browser, GET): the
  ``biz_content`` needs out_trade_no (≤ 64 of ``[0-9A-Za-z_]``), total_amount (0.01 …,
  two decimals), subject and the right product_code (FAST_INSTANT_TRADE_PAY /
  QUICK_WAP_WAY or QUICK_WAP_PAY); the trade is created (WAIT_BUYER_PAY; again with
  another amount: an error page) and the "cashier" answers with ``<button
  id="alipay-pay">``. Paying marks the trade TRADE_SUCCESS, POSTs the signed notification
  to ``notify_url`` and redirects to ``return_url`` with the signed synchronous return
  parameters.
* ``alipay.trade.query`` / ``alipay.trade.close`` / ``alipay.trade.refund`` /
  ``alipay.trade.fastpay.refund.query``: JSON ``{"<method>_response": {...}, "sign": …}``,
  the sign made with Alipay's key over the exact text of the response object. Unknown
  trades: ``40004 ACQ.TRADE_NOT_EXIST``; closing a paid trade ``ACQ.TRADE_STATUS_ERROR``;
  refunds are idempotent on ``out_request_no`` (a repeat answers ``fund_change: N``), more
  than what is left is ``ACQ.REFUND_AMT_NOT_EQUAL_TOTAL``; a full refund closes the trade.

Test control (Python): ``open(url)``, ``pay(no, amount=None)``, ``trade(no)``,
``refund_at_platform(no, amount, out_request_no)``,
``payment_notification(no, …)``, ``refund_notification(no, …)``,
``closed_notification(no, …)``, ``sign(params, key=None)`` (the overrides of notifications:
``notify_time``, ``notify_id``, ``signing_key``, ``total_amount``), ``send(form, url)``,
``requests`` (every gateway call's method and biz_content), ``reset()``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.wechatpay_fake import new_key, private_pem, public_pem, rsa_sign, rsa_verify

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
BEIJING = timezone(timedelta(hours=8))
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_]{1,64}$")
PRODUCT_CODES = {
    "alipay.trade.page.pay": {"FAST_INSTANT_TRADE_PAY"},
    "alipay.trade.wap.pay": {"QUICK_WAP_WAY", "QUICK_WAP_PAY"},
}


def beijing_now() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def signing_string(params: dict[str, str], *, request: bool = False) -> str:
    """What is signed: a request's parameters but ``sign``; a notification's or a return's
    but ``sign`` and ``sign_type``; sorted, ``k=v`` joined by ``&``."""
    skip = ("sign",) if request else ("sign", "sign_type")
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in skip)


@dataclass
class Trade:
    out_trade_no: str
    total_amount: str
    subject: str
    notify_url: str
    return_url: str
    method: str
    trade_no: str
    trade_status: str = "WAIT_BUYER_PAY"
    paid_amount: str | None = None
    refund_fee: Decimal = Decimal("0.00")
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    gmt_payment: str | None = None


@dataclass
class RecordedCall:
    method: str
    biz_content: dict[str, Any]


class AlipayFake:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.app_key = new_key()
        self.alipay_key = new_key()
        self.app_private_key_path = self.directory / "app_private_key.pem"
        self.app_private_key_path.write_text(private_pem(self.app_key))
        self.alipay_public_key_path = self.directory / "alipay_public_key.pem"
        self.alipay_public_key_path.write_text(public_pem(self.alipay_key))
        self.trades: dict[str, Trade] = {}
        self.requests: list[RecordedCall] = []
        self.sent: list[tuple[str, str]] = []  # (notify url, answer)
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.gateway = f"{self.url}/gateway.do"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.running = False

    def start(self) -> AlipayFake:
        self._thread.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._server.server_close()
            self.running = False

    def reset(self) -> None:
        with self._lock:
            self.trades.clear()
            self.requests.clear()
            self.sent.clear()

    def app_config(self) -> dict[str, str]:
        return {
            "ALIPAY_APP_ID": APP_ID,
            "ALIPAY_APP_PRIVATE_KEY_PATH": str(self.app_private_key_path),
            "ALIPAY_PUBLIC_KEY_PATH": str(self.alipay_public_key_path),
            "ALIPAY_GATEWAY": self.gateway,
        }

    # ---- signing

    def sign(self, params: dict[str, str], key: rsa.RSAPrivateKey | None = None) -> dict[str, str]:
        """``params`` with ``sign_type`` RSA2 and ``sign`` made with Alipay's key."""
        params = {**params, "sign_type": "RSA2"}
        params["sign"] = rsa_sign(key or self.alipay_key, signing_string(params))
        return params

    def _answer(self, method: str, data: dict[str, Any]) -> Response:
        inner = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        sign = rsa_sign(self.alipay_key, inner)
        name = method.replace(".", "_") + "_response"
        body = f'{{"{name}":{inner},"sign":"{sign}"}}'
        return Response(body, content_type="text/html;charset=utf-8")

    def _failure(self, method: str, sub_code: str, sub_msg: str, code: str = "40004") -> Response:
        msg = "Business Failed" if code == "40004" else "Invalid Arguments"
        return self._answer(
            method, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}
        )

    # ---- HTTP

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        return self._route(request)(environ, start_response)

    def _route(self, request: Request) -> Response:
        match = re.fullmatch(r"/cashier/(\w+)/pay", request.path)
        if match and request.method == "POST":
            return self._cashier_pay(match.group(1))
        if request.path != "/gateway.do":
            return Response("not found", status=404)
        params = dict(request.values.items())
        method = params.get("method", "")
        problem = self._check(params)
        if problem:
            if method in PRODUCT_CODES:
                return Response(f"<p id='alipay-error'>{escape(problem)}</p>", status=400)
            return self._failure(method, "isv.invalid-signature", problem, code="40002")
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            return self._failure(method, "isv.invalid-parameter", "biz_content", "40002")
        with self._lock:
            self.requests.append(RecordedCall(method, biz))
            if method in PRODUCT_CODES:
                return self._cashier(method, params, biz)
            handler = {
                "alipay.trade.query": self._query,
                "alipay.trade.close": self._close,
                "alipay.trade.refund": self._refund,
                "alipay.trade.fastpay.refund.query": self._refund_query,
            }.get(method)
            if handler is None:
                return self._failure(method, "isv.invalid-method", "不存在的方法名", "40002")
            return handler(method, biz)

    def _check(self, params: dict[str, str]) -> str | None:
        if params.get("app_id") != APP_ID:
            return "invalid app_id"
        if params.get("sign_type") != "RSA2" or params.get("charset", "utf-8") != "utf-8":
            return "sign_type must be RSA2"
        try:
            sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
        except ValueError:
            return "invalid timestamp"
        # The SDK writes the machine's local time; Alipay allows some minutes either way.
        if abs(datetime.now() - sent) > timedelta(minutes=10):  # noqa: DTZ005
            return "timestamp out of range"
        if not rsa_verify(
            self.app_key.public_key(),
            signing_string(params, request=True),
            params.get("sign", ""),
        ):
            return "check sign fail"
        return None

    def _cashier(self, method: str, params: dict[str, str], biz: dict[str, Any]) -> Response:
        out_trade_no = str(biz.get("out_trade_no") or "")
        amount = str(biz.get("total_amount") or "")
        if not OUT_TRADE_NO.match(out_trade_no):
            return Response("<p id='alipay-error'>out_trade_no</p>", status=400)
        if not re.fullmatch(r"\d+(\.\d{1,2})?", amount) or Decimal(amount) < Decimal("0.01"):
            return Response("<p id='alipay-error'>total_amount</p>", status=400)
        if not biz.get("subject") or biz.get("product_code") not in PRODUCT_CODES[method]:
            return Response("<p id='alipay-error'>subject/product_code</p>", status=400)
        trade = self.trades.get(out_trade_no)
        if trade is not None and Decimal(trade.total_amount) != Decimal(amount):
            return Response("<p id='alipay-error'>ACQ.CONTEXT_INCONSISTENT</p>", status=400)
        if trade is None:
            trade = self.trades[out_trade_no] = Trade(
                out_trade_no=out_trade_no,
                total_amount=f"{Decimal(amount):.2f}",
                subject=str(biz["subject"]),
                notify_url=params.get("notify_url", ""),
                return_url=params.get("return_url", ""),
                method=method,
                trade_no=datetime.now(BEIJING).strftime("%Y%m%d")
                + "2200"
                + secrets.token_hex(8)[:14],
            )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>支付宝</title></head>"
            f"<body><h1>支付宝收银台（测试）</h1><p id='alipay-method'>{escape(method)}</p>"
            f"<p>{escape(trade.subject)}</p><p>¥{escape(trade.total_amount)}</p>"
            f"<form method='post' action='/cashier/{escape(trade.out_trade_no)}/pay'>"
            "<button id='alipay-pay' type='submit'>确认付款</button></form></body></html>"
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def _cashier_pay(self, out_trade_no: str) -> Response:
        trade = self.trades.get(out_trade_no)
        if trade is None:
            return Response("unknown trade", status=404)
        self.pay(out_trade_no)
        if trade.notify_url:
            self.send(self.payment_notification(out_trade_no), trade.notify_url)
        back = self.sign(
            {
                "app_id": APP_ID,
                "method": trade.method + ".return",
                "charset": "utf-8",
                "timestamp": beijing_now(),
                "version": "1.0",
                "out_trade_no": trade.out_trade_no,
                "trade_no": trade.trade_no,
                "total_amount": trade.total_amount,
                "seller_id": SELLER_ID,
            }
        )
        location = trade.return_url + "?" + urllib.parse.urlencode(back)
        return Response(status=302, headers={"Location": location})

    def _trade_json(self, trade: Trade) -> dict[str, Any]:
        data = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.trade_status,
            "total_amount": trade.paid_amount or trade.total_amount,
        }
        if trade.gmt_payment:
            data.update(
                {
                    "buyer_logon_id": "tan***@example.cn",
                    "buyer_user_id": "2088102177846880",
                    "buyer_pay_amount": trade.paid_amount or trade.total_amount,
                    "receipt_amount": trade.paid_amount or trade.total_amount,
                    "send_pay_date": trade.gmt_payment,
                }
            )
        return data

    def _query(self, method: str, biz: dict[str, Any]) -> Response:
        trade = self._find(biz)
        if trade is None:
            return self._failure(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return self._answer(method, self._trade_json(trade))

    def _find(self, biz: dict[str, Any]) -> Trade | None:
        if biz.get("out_trade_no"):
            return self.trades.get(str(biz["out_trade_no"]))
        return next((t for t in self.trades.values() if t.trade_no == biz.get("trade_no")), None)

    def _close(self, method: str, biz: dict[str, Any]) -> Response:
        trade = self._find(biz)
        if trade is None:
            return self._failure(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.trade_status != "WAIT_BUYER_PAY":
            return self._failure(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.trade_status = "TRADE_CLOSED"
        return self._answer(
            method,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no,
            },
        )

    def _refund(self, method: str, biz: dict[str, Any]) -> Response:
        trade = self._find(biz)
        if trade is None:
            return self._failure(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        request_no = str(biz.get("out_request_no") or trade.trade_no)
        if request_no in trade.refunds:
            return self._answer(method, {**trade.refunds[request_no], "fund_change": "N"})
        if trade.trade_status not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return self._failure(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        try:
            amount = Decimal(str(biz.get("refund_amount")))
        except ArithmeticError:
            return self._failure(method, "ACQ.INVALID_PARAMETER", "refund_amount", "40002")
        paid = Decimal(trade.paid_amount or trade.total_amount)
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            return self._failure(method, "ACQ.INVALID_PARAMETER", "refund_amount", "40002")
        if trade.refund_fee + amount > paid:
            return self._failure(method, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        trade.refund_fee += amount
        if trade.refund_fee == paid:
            trade.trade_status = "TRADE_CLOSED"
        answer = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "tan***@example.cn",
            "fund_change": "Y",
            "refund_fee": f"{trade.refund_fee:.2f}",
            "gmt_refund_pay": beijing_now(),
        }
        trade.refunds[request_no] = {**answer, "refund_amount": f"{amount:.2f}"}
        return self._answer(method, answer)

    def _refund_query(self, method: str, biz: dict[str, Any]) -> Response:
        trade = self._find(biz)
        refund = trade.refunds.get(str(biz.get("out_request_no"))) if trade else None
        if trade is None or refund is None:
            return self._answer(method, {"code": "10000", "msg": "Success"})
        return self._answer(
            method,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no,
                "out_request_no": biz.get("out_request_no"),
                "total_amount": trade.total_amount,
                "refund_amount": refund["refund_amount"],
                "refund_status": "REFUND_SUCCESS",
            },
        )

    # ---- test control

    def open(self, url: str) -> str:
        """GET a signed page-pay/WAP-pay address, as the buyer's browser would; the page."""
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.read().decode()

    def trade(self, out_trade_no: str) -> Trade:
        return self.trades[out_trade_no]

    def create(self, out_trade_no: str, total_amount: str, *, notify_url: str = "") -> Trade:
        """A trade as if the buyer had reached the cashier (without a browser)."""
        with self._lock:
            trade = self.trades.get(out_trade_no)
            if trade is None:
                trade = self.trades[out_trade_no] = Trade(
                    out_trade_no=out_trade_no,
                    total_amount=total_amount,
                    subject="test",
                    notify_url=notify_url,
                    return_url="",
                    method="alipay.trade.page.pay",
                    trade_no="2026" + secrets.token_hex(12)[:24],
                )
            return trade

    def pay(self, out_trade_no: str, *, amount: str | None = None) -> Trade:
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade.trade_status == "WAIT_BUYER_PAY":
                trade.trade_status = "TRADE_SUCCESS"
                trade.gmt_payment = beijing_now()
                trade.paid_amount = amount
            return trade

    def refund_at_platform(self, out_trade_no: str, amount: str, out_request_no: str) -> dict:
        """A refund made in Alipay's merchant site (not through our API)."""
        with self._lock:
            biz = {
                "out_trade_no": out_trade_no,
                "refund_amount": amount,
                "out_request_no": out_request_no,
            }
            self._refund("alipay.trade.refund", biz)
        return self.trades[out_trade_no].refunds[out_request_no]

    def _notification(
        self, trade: Trade, extra: dict[str, str], **overrides: Any
    ) -> dict[str, str]:
        key = overrides.pop("signing_key", None)
        params = {
            "notify_time": beijing_now(),
            "notify_type": "trade_status_sync",
            "notify_id": "ac05099524730693a8b330c5ecf72da" + secrets.token_hex(4),
            "app_id": APP_ID,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "seller_id": SELLER_ID,
            "buyer_id": "2088102177846880",
            "total_amount": trade.paid_amount or trade.total_amount,
            "receipt_amount": trade.paid_amount or trade.total_amount,
            "subject": trade.subject,
            "gmt_create": trade.gmt_payment or beijing_now(),
            **extra,
        }
        params.update({k: str(v) for k, v in overrides.items()})
        return self.sign(params, key)

    def payment_notification(self, out_trade_no: str, **overrides: Any) -> dict[str, str]:
        trade = self.trades[out_trade_no]
        extra = {"trade_status": trade.trade_status, "gmt_payment": trade.gmt_payment or ""}
        if trade.trade_status == "TRADE_CLOSED" and trade.refund_fee:
            extra["trade_status"] = "TRADE_SUCCESS"
        return self._notification(trade, extra, **overrides)

    def closed_notification(self, out_trade_no: str, **overrides: Any) -> dict[str, str]:
        trade = self.trades[out_trade_no]
        return self._notification(
            trade, {"trade_status": "TRADE_CLOSED", "gmt_close": beijing_now()}, **overrides
        )

    def refund_notification(self, out_trade_no: str, **overrides: Any) -> dict[str, str]:
        """The notice Alipay sends after a refund: cumulative ``refund_fee``."""
        trade = self.trades[out_trade_no]
        paid = Decimal(trade.paid_amount or trade.total_amount)
        extra = {
            "trade_status": "TRADE_CLOSED" if trade.refund_fee == paid else "TRADE_SUCCESS",
            "refund_fee": f"{trade.refund_fee:.2f}",
            "gmt_refund": beijing_now() + ".000",
            "out_biz_no": next(reversed(trade.refunds), ""),
        }
        return self._notification(trade, extra, **overrides)

    def send(self, form: dict[str, str], url: str) -> str:
        """POST a notification to ``url`` as Alipay does; the answer's text."""
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = response.read().decode()
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode()
        except urllib.error.URLError:
            answer = ""
        self.sent.append((url, answer))
        return answer
