"""A local WeChat Pay (API v3, direct merchant) for tests, speaking the documented API with
real signatures, so the real ``wechatpayv3`` SDK talks to it unchanged.

    fake = WeChatPayFake(tmp_path).start()      # or the ``wechatpay_fake`` fixture
    app.config.update(fake.app_config())        # WECHATPAY_* incl. WECHATPAY_API_BASE
    ...
    fake.pay(order.ref)                          # the buyer scanned and paid
    headers, body = fake.payment_notification(order.ref)
    client.post("/webhooks/wechatpay", data=body, headers=headers)
    fake.stop()

Keys: the fake makes the merchant's key pair (its private key is written to a file for the
app; the fake keeps the public half, as WeChat Pay keeps the merchant's certificate) and
the platform's key pair (its public key, with its id ``PUB_KEY_ID_…``, written for the app,
as WeChat Pay's "platform public key" mode; ``app_config(certificates=True)`` instead gives
the app a folder with a platform certificate of that key, the older mode, and answers then
name the certificate's serial; ``GET /v3/certificates`` lists it encrypted with the APIv3
key, as WeChat Pay does). The APIv3 key is 32 characters.

HTTP (127.0.0.1, a free port):

* Every ``/v3/`` request must carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,
  nonce_str=…,signature=…,timestamp=…,serial_no=…`` whose signature (RSA-SHA256 with the
  merchant key over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``) verifies, with our
  mchid and serial number and a timestamp within five minutes; otherwise 401
  ``SIGN_ERROR``. Every answer is signed with the platform key (``Wechatpay-Timestamp``,
  ``-Nonce``, ``-Signature`` over ``TIMESTAMP\\nNONCE\\nBODY\\n``, ``-Serial`` the public
  key id, ``-Signature-Type``).
* ``POST /v3/pay/transactions/native`` -> ``{"code_url": "weixin://wxpay/bizpayurl?pr=…"}``;
  ``POST /v3/pay/transactions/h5`` (needs ``scene_info.payer_client_ip`` and
  ``h5_info.type``) -> ``{"h5_url": "<fake>/h5pay/checkmweb?prepay_id=…"}``. appid, mchid,
  description, out_trade_no (6–32 of ``[0-9A-Za-z_|*-]``), notify_url, amount (CNY, > 0)
  and an RFC 3339 time_expire in the future are checked (400 ``PARAM_ERROR``); the same
  out_trade_no again with the same content answers the same link, with other content 400
  ``INVALID_REQUEST`` (订单号重复).
* ``GET /v3/pay/transactions/out-trade-no/<no>?mchid=…`` -> the trade (``trade_state``
  NOTPAY / SUCCESS / CLOSED / REFUND, ``amount``, ``transaction_id`` once paid), 404
  ``ORDER_NOT_EXIST``; ``POST …/<no>/close`` -> 204, 400 ``ORDERPAID`` once paid.
* ``POST /v3/refund/domestic/refunds`` (``out_refund_no``, ``transaction_id`` or
  ``out_trade_no``, ``amount.refund/total/currency``): total must equal the trade's, the
  refund at most what is left (400 ``NOT_ENOUGH``); the same out_refund_no again answers
  the same refund. Status ``SUCCESS`` at once; the trade's state becomes ``REFUND``.
* ``GET /h5pay/checkmweb?prepay_id=…&redirect_url=…``: the "WeChat H5 cashier" a phone is
  sent to, with ``<button id="wechat-h5-pay">``; paying marks the trade paid, POSTs the
  signed, encrypted ``TRANSACTION.SUCCESS`` notification to the trade's notify_url and
  redirects to ``redirect_url``.

Test control (Python): ``pay(no, amount=None)``, ``trade(no)``, ``refund_at_platform(no,
fen, out_refund_no)``, ``payment_notification(no,
…)``, ``refund_notification(out_refund_no, …)``, ``notification(event_type, resource, …)``
(overrides: ``timestamp``, ``notification_id``, ``signing_key``, ``apiv3_key``),
``send(headers, body, url)`` (POST over HTTP), ``requests`` (every /v3 call), ``reset()``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

MCHID = "1900000109"
APPID = "wx8888888888888888"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092024120500000000000001"
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_|*-]{6,32}$")
_AUTH = re.compile(r'(\w+)="([^"]*)"')


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:
        return False
    return True


def _certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (test)")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


@dataclass
class Trade:
    out_trade_no: str
    trade_type: str  # NATIVE | MWEB
    params: dict[str, Any]
    amount: int
    notify_url: str
    prepay_id: str
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None
    paid_amount: int | None = None
    refunded: int = 0
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any]


class WeChatPayFake:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.merchant_key = new_key()
        self.platform_key = new_key()
        self.apiv3_key = secrets.token_hex(16)  # 32 characters, as WeChat Pay's are
        self.private_key_path = self.directory / "apiclient_key.pem"
        self.private_key_path.write_text(private_pem(self.merchant_key))
        self.public_key_path = self.directory / "pub_key.pem"
        self.public_key_path.write_text(public_pem(self.platform_key))
        # Platform certificate mode (merchants not yet on the public key): a self-signed
        # certificate of the same platform key; answers then name its serial.
        self.certificate = _certificate(self.platform_key)
        self.certificate_serial = format(self.certificate.serial_number, "X")
        self.certificate_dir = self.directory / "platform_certs"
        self.certificate_dir.mkdir(exist_ok=True)
        (self.certificate_dir / f"{self.certificate_serial}.pem").write_text(
            self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        )
        self.serial = PUBLIC_KEY_ID
        self.trades: dict[str, Trade] = {}
        self.requests: list[RecordedRequest] = []
        self.sent: list[tuple[str, int]] = []  # (notify url, status) of notifications sent
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.running = False

    # ---- lifecycle

    def start(self) -> WeChatPayFake:
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
            self.serial = PUBLIC_KEY_ID
            self.trades.clear()
            self.requests.clear()
            self.sent.clear()

    def app_config(self, *, certificates: bool = False) -> dict[str, str | None]:
        """The app's WECHATPAY_* settings: the platform public key, or (``certificates``)
        a folder holding the platform certificate, whose serial the answers then name."""
        if certificates:
            self.serial = self.certificate_serial
            return {
                **self.app_config(),
                "WECHATPAY_PUBLIC_KEY_PATH": None,
                "WECHATPAY_PUBLIC_KEY_ID": None,
                "WECHATPAY_CERT_DIR": str(self.certificate_dir),
            }
        return {
            "WECHATPAY_MCHID": MCHID,
            "WECHATPAY_APPID": APPID,
            "WECHATPAY_CERT_SERIAL_NO": MERCHANT_SERIAL,
            "WECHATPAY_PRIVATE_KEY_PATH": str(self.private_key_path),
            "WECHATPAY_APIV3_KEY": self.apiv3_key,
            "WECHATPAY_PUBLIC_KEY_PATH": str(self.public_key_path),
            "WECHATPAY_PUBLIC_KEY_ID": PUBLIC_KEY_ID,
            "WECHATPAY_API_BASE": self.url,
        }

    # ---- signing

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, str]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = secrets.token_hex(16).upper()
        signature = rsa_sign(key or self.platform_key, f"{timestamp}\n{nonce}\n{body}\n")
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def _answer(self, status: int, data: dict[str, Any] | None = None) -> Response:
        body = json.dumps(data, ensure_ascii=False) if data is not None else ""
        response = Response(body, status=status, content_type="application/json; charset=utf-8")
        for name, value in self.signed_headers(body).items():
            response.headers[name] = value
        return response

    def _error(self, status: int, code: str, message: str) -> Response:
        return self._answer(status, {"code": code, "message": message})

    def _authorised(self, request: Request, body: str) -> str | None:
        """None if the merchant's signature verifies, else why not."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return "missing or unknown authorization scheme"
        fields = dict(_AUTH.findall(header))
        if fields.get("mchid") != MCHID or fields.get("serial_no") != MERCHANT_SERIAL:
            return "unknown merchant or certificate serial"
        try:
            timestamp = int(fields.get("timestamp", ""))
        except ValueError:
            return "bad timestamp"
        if abs(time.time() - timestamp) > 300:
            return "timestamp expired"
        path = request.full_path.rstrip("?") if request.query_string else request.path
        message = f"{request.method}\n{path}\n{timestamp}\n{fields.get('nonce_str')}\n{body}\n"
        if not rsa_verify(self.merchant_key.public_key(), message, fields.get("signature", "")):
            return "signature does not verify"
        return None

    # ---- HTTP

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.path.startswith("/h5pay/"):
            return self._h5(request)
        if not request.path.startswith("/v3/"):
            return Response("not found", status=404)
        body = request.get_data(as_text=True)
        problem = self._authorised(request, body)
        if problem:
            return self._error(401, "SIGN_ERROR", problem)
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self._error(400, "PARAM_ERROR", "body is not JSON")
        with self._lock:
            self.requests.append(RecordedRequest(request.method, request.path, data))
            path, method = request.path, request.method
            if method == "GET" and path == "/v3/certificates":
                return self._answer(200, {"data": [self._encrypted_certificate()]})
            if method == "POST" and path in (
                "/v3/pay/transactions/native",
                "/v3/pay/transactions/h5",
            ):
                return self._prepay(path.rsplit("/", 1)[1], data)
            match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)(/close)?", path)
            if match and method == "GET" and not match.group(2):
                if request.args.get("mchid") != MCHID:
                    return self._error(400, "PARAM_ERROR", "mchid")
                trade = self.trades.get(match.group(1))
                if trade is None:
                    return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
                return self._answer(200, self._trade_json(trade))
            if match and method == "POST" and match.group(2):
                trade = self.trades.get(match.group(1))
                if trade is None:
                    return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
                if trade.trade_state in ("SUCCESS", "REFUND"):
                    return self._error(400, "ORDERPAID", "订单已支付")
                trade.trade_state = "CLOSED"
                return self._answer(204)
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                return self._refund(data)
        return self._error(404, "NOT_FOUND", "unknown endpoint")

    def _prepay(self, kind: str, data: dict[str, Any]) -> Response:
        amount = data.get("amount") or {}
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount"):
            if not data.get(name):
                return self._error(400, "PARAM_ERROR", f"missing {name}")
        if data["appid"] != APPID or data["mchid"] != MCHID:
            return self._error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if not OUT_TRADE_NO.match(str(data["out_trade_no"])):
            return self._error(400, "PARAM_ERROR", "out_trade_no")
        total = amount.get("total")
        if not isinstance(total, int) or total <= 0 or amount.get("currency", "CNY") != "CNY":
            return self._error(400, "PARAM_ERROR", "amount")
        if len(str(data["description"])) > 127:
            return self._error(400, "PARAM_ERROR", "description too long")
        if data.get("time_expire"):
            try:
                ends = datetime.fromisoformat(str(data["time_expire"]))
            except ValueError:
                return self._error(400, "PARAM_ERROR", "time_expire")
            if ends.tzinfo is None or ends <= datetime.now(UTC):
                return self._error(400, "PARAM_ERROR", "time_expire")
        if kind == "h5":
            scene = data.get("scene_info") or {}
            if not scene.get("payer_client_ip") or not (scene.get("h5_info") or {}).get("type"):
                return self._error(400, "PARAM_ERROR", "scene_info")
        trade_type = "MWEB" if kind == "h5" else "NATIVE"
        existing = self.trades.get(data["out_trade_no"])
        if existing is not None:
            if existing.params != data or existing.trade_type != trade_type:
                return self._error(400, "INVALID_REQUEST", "201 商户订单号重复")
            trade = existing
        else:
            trade = Trade(
                out_trade_no=data["out_trade_no"],
                trade_type=trade_type,
                params=data,
                amount=total,
                notify_url=data["notify_url"],
                prepay_id="wx" + secrets.token_hex(14),
            )
            self.trades[trade.out_trade_no] = trade
        if kind == "h5":
            return self._answer(
                200, {"h5_url": f"{self.url}/h5pay/checkmweb?prepay_id={trade.prepay_id}"}
            )
        return self._answer(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={trade.prepay_id}"})

    def _encrypted_certificate(self) -> dict[str, Any]:
        nonce = secrets.token_hex(6)
        pem = self.certificate.public_bytes(serialization.Encoding.PEM)
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), pem, b"certificate")
        return {
            "serial_no": self.certificate_serial,
            "effective_time": self.certificate.not_valid_before_utc.isoformat(),
            "expire_time": self.certificate.not_valid_after_utc.isoformat(),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": base64.b64encode(ciphertext).decode(),
            },
        }

    def _trade_json(self, trade: Trade) -> dict[str, Any]:
        paid = trade.paid_amount if trade.paid_amount is not None else trade.amount
        data: dict[str, Any] = {
            "appid": APPID,
            "mchid": MCHID,
            "out_trade_no": trade.out_trade_no,
            "trade_type": trade.trade_type,
            "trade_state": trade.trade_state,
            "trade_state_desc": trade.trade_state,
            "attach": trade.params.get("attach", ""),
            "amount": {"total": paid, "currency": "CNY"},
        }
        if trade.transaction_id:
            data["transaction_id"] = trade.transaction_id
            data["success_time"] = trade.success_time
            data["bank_type"] = "OTHERS"
            data["payer"] = {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
            data["amount"].update({"payer_total": paid, "payer_currency": "CNY"})
        return data

    def _refund(self, data: dict[str, Any]) -> Response:
        out_refund_no = str(data.get("out_refund_no") or "")
        amount = data.get("amount") or {}
        if not out_refund_no or len(out_refund_no) > 64:
            return self._error(400, "PARAM_ERROR", "out_refund_no")
        trade = None
        for candidate in self.trades.values():
            by_id = (
                data.get("transaction_id") and candidate.transaction_id == data["transaction_id"]
            )
            by_no = data.get("out_trade_no") and candidate.out_trade_no == data["out_trade_no"]
            if by_id or by_no:
                trade = candidate
        if trade is None or trade.transaction_id is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if out_refund_no in trade.refunds:
            return self._answer(200, trade.refunds[out_refund_no])
        paid = trade.paid_amount if trade.paid_amount is not None else trade.amount
        refund = amount.get("refund")
        if amount.get("total") != paid or amount.get("currency") != "CNY":
            return self._error(400, "PARAM_ERROR", "amount.total must be the order's")
        if not isinstance(refund, int) or refund <= 0:
            return self._error(400, "PARAM_ERROR", "amount.refund")
        if refund > paid - trade.refunded:
            return self._error(403, "NOT_ENOUGH", "可退金额不足")
        trade.refunded += refund
        trade.trade_state = "REFUND"
        answer = {
            "refund_id": "50300" + secrets.token_hex(12),
            "out_refund_no": out_refund_no,
            "transaction_id": trade.transaction_id,
            "out_trade_no": trade.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": "SUCCESS",
            "amount": {
                "total": paid,
                "refund": refund,
                "payer_total": paid,
                "payer_refund": refund,
                "currency": "CNY",
            },
        }
        trade.refunds[out_refund_no] = answer
        return self._answer(200, answer)

    def _h5(self, request: Request) -> Response:
        prepay_id = request.args.get("prepay_id", "")
        trade = next((t for t in self.trades.values() if t.prepay_id == prepay_id), None)
        if trade is None:
            return Response("unknown prepay_id", status=404)
        back = request.args.get("redirect_url", "")
        if request.method == "POST":
            self.pay(trade.out_trade_no)
            self.send(*self.payment_notification(trade.out_trade_no), trade.notify_url)
            return Response(status=302, headers={"Location": back or self.url})
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>微信支付</title></head>"
            f"<body><h1>微信支付（测试）</h1><p>¥{trade.amount / 100:.2f}</p>"
            f"<form method='post' action='/h5pay/checkmweb?prepay_id={escape(prepay_id)}"
            f"&amp;redirect_url={escape(quote(back, safe=''))}'>"
            "<button id='wechat-h5-pay' type='submit'>确认支付</button></form></body></html>"
        )
        return Response(page, content_type="text/html; charset=utf-8")

    # ---- test control

    def trade(self, out_trade_no: str) -> Trade:
        return self.trades[out_trade_no]

    def pay(self, out_trade_no: str, *, amount: int | None = None) -> Trade:
        """The buyer paid (``amount``: what WeChat Pay recorded, for a tampered order)."""
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade.trade_state == "NOTPAY":
                trade.trade_state = "SUCCESS"
                trade.transaction_id = "4200" + secrets.token_hex(14)[:24]
                trade.success_time = datetime.now(UTC).isoformat(timespec="seconds")
                trade.paid_amount = amount
            return trade

    def refund_at_platform(self, out_trade_no: str, refund: int, out_refund_no: str) -> dict:
        """A refund made in WeChat Pay's merchant platform (not through our API)."""
        trade = self.trades[out_trade_no]
        with self._lock:
            paid = trade.paid_amount if trade.paid_amount is not None else trade.amount
            body = {
                "out_refund_no": out_refund_no,
                "transaction_id": trade.transaction_id,
                "amount": {"refund": refund, "total": paid, "currency": "CNY"},
            }
            response = self._refund(body)
        assert response.status_code == 200, response.get_data(as_text=True)
        return trade.refunds[out_refund_no]

    def notification(
        self,
        event_type: str,
        resource: dict[str, Any],
        *,
        timestamp: int | None = None,
        notification_id: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A notification as WeChat Pay sends it: the resource encrypted (AEAD_AES_256_GCM,
        APIv3 key), the body signed with the platform key in the headers."""
        nonce = secrets.token_hex(6)
        associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        plaintext = json.dumps(resource, ensure_ascii=False).encode()
        ciphertext = AESGCM((apiv3_key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), plaintext, associated.encode()
        )
        body = json.dumps(
            {
                "id": notification_id or "EV-" + secrets.token_hex(12),
                "create_time": datetime.now(UTC).isoformat(timespec="seconds"),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功" if associated == "transaction" else "退款成功",
                "resource": {
                    "original_type": associated,
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": associated,
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        headers = self.signed_headers(body, timestamp=timestamp, key=signing_key)
        headers["Content-Type"] = "application/json"
        return headers, body.encode()

    def payment_notification(
        self, out_trade_no: str, *, amount: int | None = None, **overrides: Any
    ) -> tuple[dict[str, str], bytes]:
        """``TRANSACTION.SUCCESS`` for a paid trade (``amount`` overrides what it says)."""
        trade = self.trades[out_trade_no]
        resource = self._trade_json(trade)
        if amount is not None:
            resource["amount"] = {
                "total": amount,
                "payer_total": amount,
                "currency": "CNY",
                "payer_currency": "CNY",
            }
        return self.notification("TRANSACTION.SUCCESS", resource, **overrides)

    def refund_notification(
        self, out_trade_no: str, out_refund_no: str, *, status: str = "SUCCESS", **overrides: Any
    ) -> tuple[dict[str, str], bytes]:
        """``REFUND.<status>`` (SUCCESS, ABNORMAL or CLOSED) for a refund made before."""
        trade = self.trades[out_trade_no]
        refund = trade.refunds[out_refund_no]
        resource = {
            "mchid": MCHID,
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.transaction_id,
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": status,
            "success_time": refund["create_time"],
            "user_received_account": refund["user_received_account"],
            "amount": {
                k: refund["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")
            },
        }
        return self.notification(f"REFUND.{status}", resource, **overrides)

    def send(self, headers: dict[str, str], body: bytes, url: str) -> int:
        """POST a notification to ``url`` over HTTP, as WeChat Pay does; the status."""
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except urllib.error.URLError:
            status = 0
        self.sent.append((url, status))
        return status
