"""Local stand-ins for the two SMS providers, speaking their documented HTTP APIs and
checking request signatures as the providers do, so the real SDKs can be pointed at
127.0.0.1 in tests (plain helpers; no fixture).

* :class:`AliyunSmsServer` — Dysmsapi 2017-05-25 ``SendSms`` (RPC style, parameters in the
  query), signature V3 ``ACS3-HMAC-SHA256``: canonical request of method, path, sorted
  RFC 3986-encoded query, the signed headers (host and the ``x-acs-*`` ones are required),
  the body's SHA-256 (``x-acs-content-sha256``, checked against the body); string to sign
  ``ACS3-HMAC-SHA256\\n`` + hex SHA-256 of that; HMAC-SHA256 with the AccessKey secret.
  Nonces are single use and ``x-acs-date`` must be within 15 minutes.
* :class:`TencentSmsServer` — SMS 2021-01-11 ``SendSms`` (JSON body), signature
  ``TC3-HMAC-SHA256``: canonical request (header names and values lower-cased), string to
  sign with the timestamp and credential scope ``date/sms/tc3_request``, key derived
  ``TC3<key>`` → date → service → ``tc3_request``. The timestamp must be within 5 minutes
  and the scope's date must be its UTC date.

Each records the messages it accepted (``messages``) and the refusals (``refusals``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit


class _Server:
    content_type = "application/json;charset=utf-8"

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.refusals: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = server.handle(self, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", server.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # quiet
                return

        return Handler

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError


class AliyunSmsServer(_Server):
    REQUIRED = frozenset(
        {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        }
    )
    _AUTH = re.compile(
        r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$"
    )

    def __init__(self, keys: dict[str, str], template_code: str = "SMS_100000001") -> None:
        super().__init__()
        self.keys = keys
        self.template_code = template_code
        self._nonces: set[str] = set()

    def _error(self, status: int, code: str, message: str) -> tuple[int, dict]:
        self.refusals.append(code)
        return status, {"RequestId": str(uuid.uuid4()), "Code": code, "Message": message}

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = self._AUTH.match(headers.get("authorization", ""))
        if not match:
            return self._error(400, "MissingAuthorization", "Authorization is missing or malformed")
        key_id, signed_names, signature = match.groups()
        if key_id not in self.keys:
            return self._error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        names = signed_names.split(";")
        if names != sorted(names) or not set(names) >= self.REQUIRED:
            return self._error(400, "IncompleteSignature", "Required headers are not signed.")
        if hashlib.sha256(body).hexdigest() != headers.get("x-acs-content-sha256"):
            return self._error(400, "ContentSHA256NotMatch", "x-acs-content-sha256 does not match")
        when = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - when).total_seconds()) > 15 * 60:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp is expired.")
        parts = urlsplit(request.path)
        query = sorted(parse_qsl(parts.query, keep_blank_values=True))
        canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in query)
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
        canonical_request = "\n".join(
            [
                request.command,
                parts.path or "/",
                canonical_query,
                canonical_headers,
                signed_names,
                headers["x-acs-content-sha256"],
            ]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
        expected = hmac.new(self.keys[key_id].encode(), to_sign.encode(), hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), signature):
            return self._error(
                400, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
            )
        nonce = headers["x-acs-signature-nonce"]
        if nonce in self._nonces:
            return self._error(
                400, "SignatureNonceUsed", "Specified signature nonce was used already."
            )
        self._nonces.add(nonce)
        if (headers["x-acs-action"], headers["x-acs-version"]) != ("SendSms", "2017-05-25"):
            return self._error(400, "InvalidAction.NotFound", "Specified api is not found.")
        params = dict(query)
        if not re.fullmatch(r"1[3-9]\d{9}", params.get("PhoneNumbers", "")):
            return 200, self._business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if params.get("TemplateCode") != self.template_code:
            return 200, self._business("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
        if not params.get("SignName"):
            return 200, self._business("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法")
        try:
            template_param = json.loads(params.get("TemplateParam", ""))
        except ValueError:
            return 200, self._business("isv.INVALID_JSON_PARAM", "JSON参数不合法")
        self.messages.append(
            {
                "to": params["PhoneNumbers"],
                "sign": params["SignName"],
                "template": params["TemplateCode"],
                "params": template_param,
            }
        )
        return 200, {
            "RequestId": str(uuid.uuid4()),
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{int(time.time())}^0",
        }

    def _business(self, code: str, message: str) -> dict:
        self.refusals.append(code)
        return {"RequestId": str(uuid.uuid4()), "Code": code, "Message": message}


class TencentSmsServer(_Server):
    content_type = "application/json"
    _AUTH = re.compile(
        r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$"
    )

    def __init__(self, keys: dict[str, str], sdk_app_id: str = "1400000001") -> None:
        super().__init__()
        self.keys = keys
        self.sdk_app_id = sdk_app_id
        self.template_id = "100001"

    def _error(self, code: str, message: str) -> tuple[int, dict]:
        self.refusals.append(code)
        return 200, {
            "Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": str(uuid.uuid4()),
            }
        }

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = self._AUTH.match(headers.get("authorization", ""))
        if not match:
            return self._error("AuthFailure.InvalidAuthorization", "Authorization is malformed")
        secret_id, date, service, signed_names, signature = match.groups()
        if secret_id not in self.keys:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        names = signed_names.split(";")
        if "host" not in names or "content-type" not in names:
            return self._error("AuthFailure.InvalidAuthorization", "host and content-type unsigned")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired")
        if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != date or service != "sms":
            return self._error("AuthFailure.InvalidAuthorization", "Credential scope is wrong")
        canonical_headers = "".join(
            f"{name}:{headers.get(name, '').strip().lower()}\n" for name in names
        )
        parts = urlsplit(request.path)
        canonical_request = "\n".join(
            [
                request.command,
                parts.path or "/",
                parts.query,
                canonical_headers,
                signed_names,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{date}/{service}/tc3_request"
        to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                scope,
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )

        def sign(key: bytes, message: str) -> bytes:
            return hmac.new(key, message.encode(), hashlib.sha256).digest()

        key = sign(("TC3" + self.keys[secret_id]).encode(), date)
        key = sign(sign(key, service), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        if (headers.get("x-tc-action"), headers.get("x-tc-version")) != ("SendSms", "2021-01-11"):
            return self._error("InvalidAction", "The action is not valid")
        params = json.loads(body or b"{}")
        if params.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId is not valid")
        if params.get("TemplateId") != self.template_id:
            return self._error("FailedOperation.TemplateIdNotExist", "Template does not exist")
        statuses = []
        for number in params.get("PhoneNumberSet", []):
            ok = bool(re.fullmatch(r"\+861[3-9]\d{9}", number))
            statuses.append(
                {
                    "SerialNo": str(uuid.uuid4()),
                    "PhoneNumber": number,
                    "Fee": 1 if ok else 0,
                    "SessionContext": "",
                    "Code": "Ok" if ok else "InvalidParameterValue.IncorrectPhoneNumber",
                    "Message": "send success" if ok else "incorrect phone number",
                    "IsoCode": "CN",
                }
            )
            if ok:
                self.messages.append(
                    {
                        "to": number,
                        "sign": params.get("SignName"),
                        "template": params.get("TemplateId"),
                        "params": params.get("TemplateParamSet"),
                    }
                )
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
