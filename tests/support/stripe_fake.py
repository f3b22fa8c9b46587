"""A local Stripe for tests: Checkout Sessions faked here, everything else real localstripe.

    fake = StripeFake(localstripe.url).start()   # or the ``stripe_fake`` fixture
    client = fake.client()         # StripeClient(base_addresses={"api": fake.url})
    session = client.v1.checkout.sessions.create({...}, options={"idempotency_key": "k"})
    event = fake.complete(session.id)   # a real, succeeded PaymentIntent in localstripe
    status, body = deliver(flask_client, event, "whsec_test")   # POST /webhooks/stripe
    fake.stop()

HTTP (``fake.url``, 127.0.0.1 on a free port; point ``STRIPE_API_BASE`` at it):

* ``POST /v1/checkout/sessions`` -- form-decoded like Stripe (``line_items[0][price_data][...]``),
  checked against the stripe SDK's own typed parameters (``SessionCreateParams``: unknown
  parameters, missing required ones, enum values, integers), then against Stripe's rules
  that matter here (``mode`` payment, line item currency required and single, expires_at
  30 min..24 h ahead, payment method types known and able to take the currency, wechat_pay
  needs ``payment_method_options[wechat_pay][client]``, metadata limits). Errors come back in
  Stripe's shape ``{"error": {"type": "invalid_request_error", "message", "param"}}`` so the
  SDK raises ``stripe.InvalidRequestError``.
* ``GET /v1/checkout/sessions/<id>`` (``expand[]=payment_intent`` fetches the PaymentIntent
  from localstripe; ``expand[]=line_items`` too), ``GET /v1/checkout/sessions`` (filters
  ``payment_intent``, ``status``, ``customer``), ``GET .../<id>/line_items``,
  ``POST .../<id>/expire`` (only while "open"), 404 ``resource_missing`` for unknown ids.
* Every other ``/v1/...`` request is forwarded unchanged (method, path, query, body,
  Authorization) to localstripe and its answer relayed: PaymentIntents, Charges and Refunds
  are real localstripe objects.
* ``POST /v1/refunds`` is checked first as Stripe does and localstripe does not: on a
  charge refunded in full -> 400 ``charge_already_refunded``; an ``amount`` above what is
  left of the charge -> 400 ``amount_too_large`` (param ``amount``); no ``amount`` refunds
  what is left of the charge (localstripe would refund the whole charge again). Partial refunds
  (``amount``) are then localstripe's: the Charge's ``amount_refunded`` is their sum and
  ``refunded`` turns true only once it reaches ``amount``.
* Stripe's idempotency layer for every ``POST /v1/...`` (localstripe has none): the same
  ``Idempotency-Key`` with the same parameters replays the first answer (header
  ``Idempotent-Replayed: true``); with other parameters or another endpoint it is a 400
  ``idempotency_error``. As at Stripe, answers to requests that failed validation (400) are
  not remembered.
* ``/c/pay/<id>``: the "hosted Checkout page" that ``session.url`` points to: one
  ``<button id="pay-<method>">`` per payment method type and a ``#cancel`` link. Paying
  completes the session (as :meth:`StripeFake.complete`), POSTs the signed
  ``checkout.session.completed`` event to ``fake.webhook_url`` (when set, with
  ``fake.webhook_secret``) and redirects (303) to ``success_url`` with
  ``{CHECKOUT_SESSION_ID}`` substituted, as Stripe does.

Test control (Python, not HTTP; each returns the Stripe Event dict it implies and also
appends it to ``fake.events``; none delivers it -- use :func:`deliver`):

* ``complete(id, *, method="card", amount_total=None, currency=None)``: creates and confirms
  a PaymentIntent in localstripe (card ``pm_card_visa``, whatever ``method`` says, since
  localstripe has no Alipay/WeChat Pay; its metadata is ``payment_intent_data[metadata]``),
  session -> status "complete", payment_status "paid", payment_intent "pi_...". The
  overrides change what is charged and what the session/event say (``amount_subtotal`` and
  ``amount_total``, ``currency``): a tampered-amount test.
* ``complete_async(id, method="alipay")``: status "complete", payment_status "unpaid", a
  PaymentIntent that is created but not confirmed (localstripe status
  "requires_confirmation"; Stripe would say "processing"). Then ``async_succeeded(id)``
  confirms it (-> "succeeded", payment_status "paid") or ``async_failed(id)`` declines it
  (card 4000000000000341: PaymentIntent -> "requires_payment_method", payment_status stays
  "unpaid").
* ``expire_now(id)``: status "expired" (also what ``POST .../expire`` does over HTTP).
* ``refund_event(pi_id)``: ``charge.refunded`` built from the real localstripe Charge of that
  PaymentIntent (``amount``, cumulative ``amount_refunded``, ``refunded``, ``payment_intent``;
  Stripe sends it for partial refunds too) -- localstripe itself
  sends no webhook at all for refunds (see ``localstripe_server``). Its ``metadata`` is the
  PaymentIntent's, as Stripe copies it onto the charge (localstripe does not).
* ``payment_intent_event(pi_id, type)``, ``event(type, obj)``, ``session(id)`` (the stored
  dict itself: changing it changes what the API returns), ``requests`` (every /v1 request
  received, with its decoded parameters and idempotency key), ``reset()``.

Signing: :func:`sign` makes a real ``Stripe-Signature`` header
(``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>``); :func:`deliver` POSTs a signed
event to a URL (``urllib``) or through a Flask test client.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import sys
import threading
import time
import types
import typing
import urllib.error
import urllib.request
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NotRequired, Required, get_args, get_origin
from urllib.parse import parse_qsl, urlsplit

import stripe
from typing_extensions import is_typeddict

from tests.support.localstripe_server import DEFAULT_API_KEY, encode_form, http_request

API_VERSION: str = stripe.api_version
WEBHOOK_PATH = "/webhooks/stripe"
WEBHOOK_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
TEST_CARD = "pm_card_visa"  # localstripe: 4242 4242 4242 4242, always succeeds
DECLINED_CARD = "pm_card_chargeCustomerFail"  # localstripe: 4000 0000 0000 0341, declined
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
MAX_AMOUNT = 99_999_999

# Currencies Stripe lets these wallets present (docs.stripe.com/payments/alipay, /wechat-pay).
METHOD_CURRENCIES = {
    "alipay": frozenset(
        ["aud", "cad", "cny", "eur", "gbp", "hkd", "jpy", "myr", "nzd", "sgd", "usd"]
    ),
    "wechat_pay": frozenset(
        ["aud", "cad", "chf", "cny", "dkk", "eur", "gbp", "hkd", "jpy", "nok", "sek", "sgd", "usd"]
    ),
}
_HOP_BY_HOP = {
    "host",
    "connection",
    "keep-alive",
    "content-length",
    "transfer-encoding",
    "accept-encoding",
    "proxy-connection",
    "te",
    "upgrade",
}


def _random_id(prefix: str, length: int = 24) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


# -- signatures and delivery ----------------------------------------------------------------


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload``, as Stripe computes it."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), b"%d." % ts + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def event_payload(event: Mapping[str, Any] | bytes) -> bytes:
    """The bytes Stripe would POST for ``event`` (bytes are taken as they are)."""
    if isinstance(event, bytes | bytearray):
        return bytes(event)
    return json.dumps(event, indent=2, ensure_ascii=False).encode()


def webhook_headers(payload: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    return {
        "Stripe-Signature": sign(payload, secret, timestamp),
        "User-Agent": WEBHOOK_USER_AGENT,
    }


def deliver(
    target: Any,
    event: Mapping[str, Any] | bytes,
    secret: str,
    *,
    path: str = WEBHOOK_PATH,
    timestamp: int | None = None,
) -> tuple[int, bytes]:
    """Sign ``event`` with ``secret`` and POST it. ``target`` is a URL (the app's base URL,
    to which ``path`` is appended, or a full URL with a path) or a Flask test client.
    Returns (status, body)."""
    if isinstance(target, str):
        return deliver_http(target, event, secret, path=path, timestamp=timestamp)
    return deliver_test_client(target, event, secret, path=path, timestamp=timestamp)


def deliver_http(
    url: str,
    event: Mapping[str, Any] | bytes,
    secret: str,
    *,
    path: str = WEBHOOK_PATH,
    timestamp: int | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """POST the signed event with ``urllib.request`` (environment proxies ignored)."""
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + path
    payload = event_payload(event)
    headers = {
        **webhook_headers(payload, secret, timestamp),
        "Content-Type": "application/json; charset=utf-8",
    }
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def deliver_test_client(
    client: Any,
    event: Mapping[str, Any] | bytes,
    secret: str,
    *,
    path: str = WEBHOOK_PATH,
    timestamp: int | None = None,
) -> tuple[int, bytes]:
    """POST the signed event through a Flask test client."""
    payload = event_payload(event)
    response = client.post(
        path,
        data=payload,
        headers=webhook_headers(payload, secret, timestamp),
        content_type="application/json; charset=utf-8",
    )
    return response.status_code, response.get_data()


# -- Stripe form encoding -------------------------------------------------------------------

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


class ParamError(Exception):
    """A request Stripe would refuse: 400 invalid_request_error."""

    def __init__(
        self, message: str, param: str | None = None, *, code: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


def parse_form(text: str) -> dict[str, Any]:
    """Decode Stripe's form encoding: ``a[b][0][c]=v`` -> {"a": {"b": [{"c": "v"}]}}.
    ``x[]=1&x[]=2`` and ``x[0]=1&x[1]=2`` both give a list."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        parts = [match.group(1), *_PART.findall(match.group(2))] if match else [key]
        node = root
        for depth, part in enumerate(parts):
            name = str(len(node)) if part == "" else part
            if depth == len(parts) - 1:
                if isinstance(node.get(name), dict):
                    raise ParamError(f"Invalid parameters: {key} is both a value and a hash", key)
                node[name] = value
            else:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):
                    raise ParamError(f"Invalid parameters: {key} is both a value and a hash", key)
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


# -- parameter checking against the SDK's typed parameters --------------------------------

try:
    from stripe._request_options import RequestOptions
    from stripe.params.checkout import SessionCreateParams

    _PARAMS_NS: dict[str, Any] = vars(sys.modules[SessionCreateParams.__module__])
    _OPTION_KEYS = frozenset(RequestOptions.__annotations__)
except (ImportError, AttributeError, KeyError):  # another SDK layout: checks get lenient
    SessionCreateParams = None  # type: ignore[assignment,misc]
    _PARAMS_NS = {}
    _OPTION_KEYS = frozenset()

_UNION_TYPES = (typing.Union, types.UnionType)


def _resolve(tp: Any) -> Any:
    while True:
        if isinstance(tp, typing.ForwardRef):
            tp = tp.__forward_arg__
        if isinstance(tp, str):
            tp = _PARAMS_NS.get(tp, Any)
            continue
        if get_origin(tp) in (NotRequired, Required):
            tp = get_args(tp)[0]
            continue
        return tp


def _path(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if parent else str(key)


def check_params(value: Any, tp: Any, path: str = "") -> Any:
    """Check decoded form data against an SDK TypedDict as Stripe's API would; returns the
    data with integers and booleans converted."""
    tp = _resolve(tp)
    origin = get_origin(tp)
    if is_typeddict(tp):
        if not isinstance(value, dict):
            raise ParamError(f"Invalid object: {path} must be a hash", path)
        hints = tp.__annotations__
        for key in value:
            if key not in hints or (not path and key in _OPTION_KEYS):
                raise ParamError(
                    f"Received unknown parameter: {_path(path, key)}", _path(path, key)
                )
        for key in sorted(tp.__required_keys__ - value.keys()):
            if not path and key in _OPTION_KEYS:
                continue
            raise ParamError(f"Missing required param: {_path(path, key)}.", _path(path, key))
        return {k: check_params(v, hints[k], _path(path, k)) for k, v in value.items()}
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            choices = ", ".join(str(a) for a in allowed)
            raise ParamError(f"Invalid {path}: must be one of {choices}", path)
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ParamError(f"Invalid array: {path} must be an array", path)
        (item,) = get_args(tp) or (Any,)
        return [check_params(v, item, _path(path, i)) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ParamError(f"Invalid object: {path} must be a hash", path)
        return value
    if origin in _UNION_TYPES:
        error: ParamError | None = None
        for arm in get_args(tp):
            try:
                return check_params(value, arm, path)
            except ParamError as exc:
                error = error or exc
        assert error is not None
        raise error
    if tp is bool:
        if value not in ("true", "false"):
            raise ParamError(f"Invalid boolean: {value}", path)
        return value == "true"
    if tp is int:
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
            raise ParamError(f"Invalid integer: {value}", path)
        return int(value)
    if tp is str and not isinstance(value, str):
        raise ParamError(f"Invalid string: {path} must be a string", path)
    return value


def _check_metadata(metadata: Any, path: str) -> dict[str, str]:
    if metadata in (None, ""):
        return {}
    if len(metadata) > 50:
        raise ParamError("Metadata can have at most 50 keys", path)
    for key, value in metadata.items():
        if len(key) > 40:
            raise ParamError(f"Metadata keys can have at most 40 characters: {key}", path)
        if len(value) > 500:
            raise ParamError(f"Metadata values can have at most 500 characters: {key}", path)
    return dict(metadata)


# -- the fake ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    headers: dict[str, str] = field(repr=False)


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Saved:
    method: str
    path: str
    params: dict[str, Any]
    response: _Response


_IN_FLIGHT = object()


def _json(status: int, data: Any) -> _Response:
    body = json.dumps(data, indent=2, ensure_ascii=False).encode()
    return _Response(status, body, {"Content-Type": "application/json"})


def _error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> _Response:
    error: dict[str, Any] = {"type": type, "message": message}
    if param:
        error["param"] = param
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    return _json(status, {"error": error})


class StripeFake:
    """Checkout Sessions in memory, the rest of the API proxied to localstripe."""

    def __init__(self, localstripe_url: str, *, api_key: str = DEFAULT_API_KEY) -> None:
        self.localstripe_url = localstripe_url.rstrip("/")
        self.api_key = api_key  # what the control methods use to talk to localstripe
        self.url = ""
        self.webhook_url: str | None = None  # where the hosted page's events are POSTed
        self.webhook_secret: str | None = None
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self._line_items: dict[str, list[dict[str, Any]]] = {}
        self._payment_intent_data: dict[str, dict[str, Any]] = {}
        self._pending_async: set[str] = set()
        self._idempotency: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> StripeFake:
        """Serve on 127.0.0.1, on a free port (a restarted fake keeps its port if free)."""
        if self._server is not None:
            return self
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        try:  # a restarted fake keeps its url when it can
            self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        except OSError:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._port = self._server.server_address[1]
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-fake",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> StripeFake:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget sessions, events, recorded requests and idempotency keys."""
        with self._lock:
            self.sessions.clear()
            self.events.clear()
            self.requests.clear()
            self._line_items.clear()
            self._payment_intent_data.clear()
            self._pending_async.clear()
            self._idempotency.clear()
            self.webhook_url = self.webhook_secret = None

    sign = staticmethod(sign)
    deliver = staticmethod(deliver)

    def client(self, api_key: str = "sk_test_123", **options: Any) -> stripe.StripeClient:
        """A real SDK client pointed at this fake (no network retries unless asked)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **options)

    # -- test control -----------------------------------------------------------------

    def session(self, session_id: str) -> dict[str, Any]:
        """The stored session dict (live: what the API will return)."""
        with self._lock:
            return self.sessions[session_id]

    def event(self, type: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A Stripe Event wrapping (a deep copy of) ``obj``; also appended to ``events``."""
        event = {
            "id": _random_id("evt_test_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(dict(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        with self._lock:
            self.events.append(event)
        return event

    def events_of_type(self, type: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["type"] == type]

    def complete(
        self,
        session_id: str,
        *,
        method: str = "card",
        amount_total: int | None = None,
        currency: str | None = None,
    ) -> dict[str, Any]:
        """The customer paid: a confirmed, succeeded PaymentIntent in localstripe; returns
        the ``checkout.session.completed`` event."""
        with self._lock:
            session = self._open_session(session_id, method)
            amount = session["amount_total"] if amount_total is None else int(amount_total)
            cur = (currency or session["currency"]).lower()
            intent = self._create_payment_intent(session_id, amount, cur, confirm=True)
            if intent.get("status") != "succeeded":
                raise RuntimeError(f"localstripe did not charge the test card: {intent!r}")
            self._mark_complete(session, intent["id"], "paid", amount, cur)
            return self.event("checkout.session.completed", session)

    def complete_async(self, session_id: str, method: str = "alipay") -> dict[str, Any]:
        """The customer submitted a delayed payment: completed but unpaid; returns the
        ``checkout.session.completed`` event. Follow with async_succeeded/async_failed."""
        with self._lock:
            session = self._open_session(session_id, method)
            intent = self._create_payment_intent(
                session_id, session["amount_total"], session["currency"], confirm=False
            )
            self._mark_complete(session, intent["id"], "unpaid")
            self._pending_async.add(session_id)
            return self.event("checkout.session.completed", session)

    def async_succeeded(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self._pending(session_id)
            pi = session["payment_intent"]
            status, intent = self._localstripe("POST", f"/v1/payment_intents/{pi}/confirm")
            if status != 200 or intent.get("status") != "succeeded":
                raise RuntimeError(f"localstripe did not confirm {pi}: {status} {intent!r}")
            self._pending_async.discard(session_id)
            session["payment_status"] = "paid"
            return self.event("checkout.session.async_payment_succeeded", session)

    def async_failed(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self._pending(session_id)
            pi = session["payment_intent"]
            status, data = self._localstripe(
                "POST", f"/v1/payment_intents/{pi}", {"payment_method": DECLINED_CARD}
            )
            if status != 200:
                raise RuntimeError(f"localstripe did not update {pi}: {status} {data!r}")
            status, data = self._localstripe("POST", f"/v1/payment_intents/{pi}/confirm")
            if status != 402:
                raise RuntimeError(f"localstripe did not decline {pi}: {status} {data!r}")
            self._pending_async.discard(session_id)
            return self.event("checkout.session.async_payment_failed", session)

    def expire_now(self, session_id: str) -> dict[str, Any]:
        """The session timed out (or was expired): returns ``checkout.session.expired``."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            return self._expire(session)

    def refund_event(self, payment_intent_id: str) -> dict[str, Any]:
        """``charge.refunded`` for the (refunded) localstripe charge of a PaymentIntent."""
        intent = self._localstripe_ok("GET", f"/v1/payment_intents/{payment_intent_id}")
        latest = intent.get("latest_charge")
        charge_id = latest.get("id") if isinstance(latest, dict) else latest
        if not charge_id:
            raise ValueError(f"{payment_intent_id} has no charge")
        charge = self._localstripe_ok("GET", f"/v1/charges/{charge_id}")
        if not charge.get("metadata"):
            charge["metadata"] = dict(intent.get("metadata") or {})
        return self.event("charge.refunded", charge)

    def payment_intent_event(
        self, payment_intent_id: str, type: str = "payment_intent.succeeded"
    ) -> dict[str, Any]:
        intent = self._localstripe_ok("GET", f"/v1/payment_intents/{payment_intent_id}")
        return self.event(type, intent)

    # -- control helpers ----------------------------------------------------------------

    def _open_session(self, session_id: str, method: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        if session["status"] != "open":
            raise ValueError(f"{session_id} is {session['status']}, not open")
        if method not in session["payment_method_types"]:
            raise ValueError(f"{method} is not one of {session['payment_method_types']}")
        return session

    def _pending(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        if session_id not in self._pending_async:
            raise ValueError(f"{session_id} has no delayed payment pending (complete_async)")
        return session

    def _create_payment_intent(
        self, session_id: str, amount: int, currency: str, *, confirm: bool
    ) -> dict[str, Any]:
        data = self._payment_intent_data.get(session_id) or {}
        params = {
            "amount": amount,
            "currency": currency,
            "payment_method": TEST_CARD,
            "payment_method_types": ["card"],
            "metadata": data.get("metadata") or {},
            "confirm": confirm,
        }
        return self._localstripe_ok("POST", "/v1/payment_intents", params)

    def _mark_complete(
        self,
        session: dict[str, Any],
        payment_intent: str,
        payment_status: str,
        amount: int | None = None,
        currency: str | None = None,
    ) -> None:
        session.update(
            status="complete",
            payment_status=payment_status,
            payment_intent=payment_intent,
            url=None,
            customer_details={
                "address": None,
                "email": session.get("customer_email") or "customer@example.com",
                "name": None,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        if amount is not None:
            session["amount_subtotal"] = session["amount_total"] = amount
        if currency is not None:
            session["currency"] = currency

    def _expire(self, session: dict[str, Any]) -> dict[str, Any]:
        session.update(status="expired", url=None)
        return self.event("checkout.session.expired", session)

    def _localstripe(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        authorization: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": authorization or f"Bearer {self.api_key}"}
        body = None
        if method == "GET":
            if params:
                path = f"{path}?{encode_form(params)}"
        else:
            body = encode_form(params or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, _, raw = http_request(
            self.localstripe_url, method, path, body=body, headers=headers
        )
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {"error": {"message": raw.decode("utf-8", "replace")}}

    def _localstripe_ok(
        self, method: str, path: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        status, data = self._localstripe(method, path, params)
        if status != 200:
            raise RuntimeError(f"localstripe {method} {path} -> {status}: {data!r}")
        return data

    # -- HTTP --------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> _Response:
        """One HTTP request (headers with lower-case names)."""
        parts = urlsplit(target)
        path = parts.path
        if path.startswith("/c/pay/"):
            return self._hosted_page(method, path.removeprefix("/c/pay/"), body)
        if not path.startswith("/v1/"):
            return _Response(404, b"not found\n", {"Content-Type": "text/plain"})
        request_id = _random_id("req_", 14)
        try:
            params = parse_form(body.decode() if method == "POST" else parts.query)
        except (ParamError, UnicodeDecodeError) as exc:
            response = _error(400, str(exc))
        else:
            key = headers.get("idempotency-key")
            with self._lock:
                self.requests.append(RecordedRequest(method, path, params, key, dict(headers)))
            if method == "POST" and key:
                response = self._idempotent(key, method, path, params, headers, target, body)
            else:
                response = self._route(method, path, params, headers, target, body)
        response.headers.setdefault("Request-Id", request_id)
        response.headers.setdefault("Stripe-Version", headers.get("stripe-version", API_VERSION))
        return response

    def _idempotent(
        self,
        key: str,
        method: str,
        path: str,
        params: dict[str, Any],
        headers: Mapping[str, str],
        target: str,
        body: bytes,
    ) -> _Response:
        with self._lock:
            saved = self._idempotency.get(key)
            if saved is _IN_FLIGHT:
                return _error(
                    409,
                    "There is currently another in-progress request using this Stripe API key "
                    "(or the same Idempotency-Key); try again in a few seconds.",
                    type="idempotency_error",
                )
            if isinstance(saved, _Saved):
                if (saved.method, saved.path) != (method, path):
                    return _error(
                        400,
                        "Keys for idempotent requests can only be used for the same endpoint "
                        f"they were first used for ('{saved.method} {saved.path}' vs "
                        f"'{method} {path}'). Try using a key other than '{key}' if you meant "
                        "to execute a different request.",
                        type="idempotency_error",
                    )
                if saved.params != params:
                    return _error(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        f"parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                replay = saved.response
                return _Response(
                    replay.status,
                    replay.body,
                    {**replay.headers, "Idempotent-Replayed": "true", "Idempotency-Key": key},
                )
            self._idempotency[key] = _IN_FLIGHT
        try:
            response = self._route(method, path, params, headers, target, body)
        except BaseException:
            with self._lock:
                self._idempotency.pop(key, None)
            raise
        with self._lock:
            if response.status < 400 or response.status == 402 or response.status >= 500:
                self._idempotency[key] = _Saved(method, path, params, response)
            else:  # failed validation: nothing executed, nothing remembered
                self._idempotency.pop(key, None)
        response.headers["Idempotency-Key"] = key
        return response

    def _route(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        headers: Mapping[str, str],
        target: str,
        body: bytes,
    ) -> _Response:
        if path == "/v1/refunds" and method == "POST":
            refused, left = self._refund_checked(params, headers.get("authorization"))
            if refused is not None:
                return refused
            if params.get("amount") is None and left is not None:
                # Stripe refunds what is left of the charge; localstripe all of it again.
                body = encode_form({**params, "amount": left}).encode()
        if not path.startswith("/v1/checkout/"):
            return self._forward(method, target, headers, body)
        auth_error = _check_api_key(headers.get("authorization"))
        if auth_error:
            return auth_error
        authorization = headers.get("authorization")
        rest = path.removeprefix("/v1/checkout/sessions")
        try:
            if rest == "" and method == "POST":
                return self._create(params, authorization)
            if rest == "" and method == "GET":
                return self._list(params)
            match = re.fullmatch(r"/([^/]+)(/expire|/line_items)?", rest)
            if match and path.startswith("/v1/checkout/sessions/"):
                session_id, action = match.groups()
                if action is None and method == "GET":
                    return self._retrieve(session_id, params, authorization)
                if action == "/expire" and method == "POST":
                    return self._api_expire(session_id, params, authorization)
                if action == "/line_items" and method == "GET":
                    return self._list_line_items(session_id)
                if action is None and method == "POST":
                    raise ParamError("stripe_fake does not implement updating Checkout Sessions")
        except ParamError as exc:
            return _error(exc.status, exc.message, param=exc.param, code=exc.code)
        return _error(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )

    def _refund_checked(
        self, params: dict[str, Any], authorization: str | None
    ) -> tuple[_Response | None, int | None]:
        """Stripe's checks localstripe lacks: a refund never exceeds what is left of the
        charge (localstripe accepts any amount, even on a charge refunded in full).
        Returns the refusal, or None and what is left of the charge (None: unknown)."""
        charge = None
        if isinstance(params.get("payment_intent"), str):
            status, intent = self._localstripe(
                "GET", f"/v1/payment_intents/{params['payment_intent']}",
                authorization=authorization,
            )  # fmt: skip
            latest = intent.get("latest_charge") if status == 200 else None
            charge = latest.get("id") if isinstance(latest, dict) else latest
        elif isinstance(params.get("charge"), str):
            charge = params["charge"]
        if not charge:
            return None, None  # localstripe answers the malformed request itself
        status, found = self._localstripe(
            "GET", f"/v1/charges/{charge}", authorization=authorization
        )
        if status != 200:
            return None, None
        left = int(found.get("amount") or 0) - int(found.get("amount_refunded") or 0)
        if left <= 0:
            return _error(
                400, f"Charge {charge} has already been refunded.", code="charge_already_refunded"
            ), None
        amount = params.get("amount")
        if amount is not None and str(amount).isdigit() and int(amount) > left:
            currency = str(found.get("currency") or "").upper()
            refusal = _error(
                400,
                f"Refund amount ({currency} {int(amount) / 100:.2f}) is greater than unrefunded "
                f"amount on charge ({currency} {left / 100:.2f})",
                param="amount",
                code="amount_too_large",
            )
            return refusal, None
        return None, left

    def _forward(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> _Response:
        forwarded = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
        status, response_headers, raw = http_request(
            self.localstripe_url,
            method,
            target,
            body=body if method not in ("GET", "HEAD") else None,
            headers=forwarded,
        )
        content_type = {k.lower(): v for k, v in response_headers.items()}.get("content-type", "")
        if "json" in content_type:
            return _Response(status, raw, {"Content-Type": "application/json"})
        path = urlsplit(target).path
        if status in (404, 405):
            return _error(404, f"Unrecognized request URL ({method}: {path}) (not in localstripe).")
        return _error(
            500 if status < 400 else status,
            f"localstripe answered {status}: {raw.decode('utf-8', 'replace')[:500]}",
            type="api_error",
        )

    # -- Checkout Sessions ------------------------------------------------------------

    def _create(self, raw: dict[str, Any], authorization: str | None) -> _Response:
        params = check_params(raw, SessionCreateParams) if SessionCreateParams else raw
        expand = params.pop("expand", None) or []
        now = int(time.time())
        if "mode" not in params:
            raise ParamError("Missing required param: mode.", "mode")
        if params["mode"] != "payment":
            raise ParamError("stripe_fake implements only mode=payment", "mode")
        if params.get("ui_mode", "hosted") != "hosted":
            raise ParamError("stripe_fake implements only ui_mode=hosted", "ui_mode")
        items, currency, total = self._line_items_of(params)
        if params.get("currency") and params["currency"].lower() != currency:
            raise ParamError(
                f"The currency provided ({params['currency']}) does not match the currency of "
                f"the line items ({currency}).",
                "currency",
            )
        methods = list(params.get("payment_method_types") or ["card"])
        for method in methods:
            allowed = METHOD_CURRENCIES.get(method)
            if allowed is not None and currency not in allowed:
                raise ParamError(
                    f"The currency provided ({currency}) is invalid. Payment method {method} "
                    f"supports only the following currencies: {', '.join(sorted(allowed))}.",
                    "payment_method_types",
                )
        options = params.get("payment_method_options") or {}
        if "wechat_pay" in methods and not (options.get("wechat_pay") or {}).get("client"):
            raise ParamError(
                "payment_method_options[wechat_pay][client] is required when wechat_pay is one "
                "of the payment_method_types.",
                "payment_method_options[wechat_pay][client]",
            )
        expires_at = params.get("expires_at", now + MAX_EXPIRY)
        if expires_at < now + MIN_EXPIRY:
            raise ParamError(
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
                "creation.",
                "expires_at",
            )
        if expires_at > now + MAX_EXPIRY:
            raise ParamError(
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session "
                "creation.",
                "expires_at",
            )
        for name in ("success_url", "cancel_url"):
            url = params.get(name)
            if url is not None and not re.match(r"^https?://[^/\s]+", url):
                raise ParamError(f"Not a valid URL: {url}", name)
        email = params.get("customer_email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise ParamError(f"Invalid email address: {email}", "customer_email")
        reference = params.get("client_reference_id")
        if reference is not None and not 1 <= len(reference) <= 200:
            raise ParamError(
                "Invalid string: client_reference_id must be 1 to 200 characters",
                "client_reference_id",
            )
        metadata = _check_metadata(params.get("metadata"), "metadata")
        intent_data = dict(params.get("payment_intent_data") or {})
        intent_data["metadata"] = _check_metadata(
            intent_data.get("metadata"), "payment_intent_data[metadata]"
        )

        session_id = _random_id("cs_test_a1", 56)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "adaptive_pricing": {"enabled": False},
            "after_expiration": None,
            "allow_promotion_codes": params.get("allow_promotion_codes"),
            "amount_subtotal": total,
            "amount_total": total,
            "automatic_tax": {
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "billing_address_collection": params.get("billing_address_collection"),
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": reference,
            "client_secret": None,
            "collected_information": None,
            "consent": None,
            "consent_collection": None,
            "created": now,
            "currency": currency,
            "currency_conversion": None,
            "custom_fields": [],
            "custom_text": {
                "after_submit": None,
                "shipping_address": None,
                "submit": None,
                "terms_of_service_acceptance": None,
            },
            "customer": params.get("customer"),
            "customer_creation": params.get("customer_creation", "if_required"),
            "customer_details": None,
            "customer_email": email,
            "discounts": [],
            "expires_at": expires_at,
            "invoice": None,
            "invoice_creation": {"enabled": False, "invoice_data": None},
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": "payment",
            "origin_context": None,
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "if_required",
            "payment_method_configuration_details": None,
            "payment_method_options": copy.deepcopy(options),
            "payment_method_types": methods,
            "payment_status": "unpaid",
            "permissions": None,
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "saved_payment_method_options": None,
            "setup_intent": None,
            "shipping_address_collection": None,
            "shipping_cost": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": params.get("submit_type"),
            "subscription": None,
            "success_url": params.get("success_url"),
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted",
            "url": f"{self.url}/c/pay/{session_id}",
            "wallet_options": None,
        }
        with self._lock:
            self.sessions[session_id] = session
            self._line_items[session_id] = items
            self._payment_intent_data[session_id] = intent_data
        return _json(200, self._render(session, expand, authorization))

    def _line_items_of(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
        raw_items = params.get("line_items") or []
        if not raw_items:
            raise ParamError("Missing required param: line_items.", "line_items")
        items: list[dict[str, Any]] = []
        currencies: set[str] = set()
        for index, item in enumerate(raw_items):
            where = f"line_items[{index}]"
            if "price" in item:
                raise ParamError(
                    f"No such price: '{item['price']}' (stripe_fake knows only price_data)",
                    f"{where}[price]",
                    code="resource_missing",
                )
            data = item.get("price_data")
            if data is None:
                raise ParamError(f"Missing required param: {where}[price_data].", where)
            if "quantity" not in item:
                raise ParamError(f"Missing required param: {where}[quantity].", where)
            quantity = item["quantity"]
            if not 1 <= quantity <= 999_999:
                raise ParamError("Quantity must be between 1 and 999999", f"{where}[quantity]")
            if "recurring" in data:
                raise ParamError(
                    "You specified `payment` mode but passed a recurring price. Either switch to "
                    "`subscription` mode or use only one-time prices.",
                    f"{where}[price_data][recurring]",
                )
            if "unit_amount" not in data:
                raise ParamError(
                    f"Missing required param: {where}[price_data][unit_amount].",
                    f"{where}[price_data][unit_amount]",
                )
            unit_amount = data["unit_amount"]
            if unit_amount < 0:
                raise ParamError(
                    f"Invalid non-negative integer: {unit_amount}",
                    f"{where}[price_data][unit_amount]",
                )
            product = data.get("product_data")
            if product is None and "product" not in data:
                raise ParamError(
                    "You must specify either `product` or `product_data` when creating a price.",
                    f"{where}[price_data]",
                )
            currency = data["currency"].lower()
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise ParamError(
                    f"Invalid currency: {data['currency']}", f"{where}[price_data][currency]"
                )
            currencies.add(currency)
            amount = unit_amount * quantity
            items.append(
                {
                    "id": _random_id("li_", 24),
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": currency,
                    "description": (product or {}).get("name"),
                    "price": {
                        "id": _random_id("price_", 24),
                        "object": "price",
                        "active": False,
                        "currency": currency,
                        "product": data.get("product") or _random_id("prod_", 14),
                        "type": "one_time",
                        "unit_amount": unit_amount,
                        "livemode": False,
                    },
                    "quantity": quantity,
                }
            )
        if len(currencies) > 1:
            raise ParamError(
                "All line items must use the same currency; got " + ", ".join(sorted(currencies)),
                "line_items",
            )
        total = sum(item["amount_total"] for item in items)
        if total <= 0:
            raise ParamError("The Checkout Session's total amount due must be greater than 0.")
        if total > MAX_AMOUNT:
            raise ParamError(
                f"The Checkout Session's total amount due must be at most {MAX_AMOUNT}."
            )
        return items, currencies.pop(), total

    def _retrieve(
        self, session_id: str, params: dict[str, Any], authorization: str | None
    ) -> _Response:
        session = self._find(session_id)
        return _json(200, self._render(session, _expand_list(params), authorization))

    def _api_expire(
        self, session_id: str, params: dict[str, Any], authorization: str | None
    ) -> _Response:
        with self._lock:
            session = self._find(session_id)
            if session["status"] != "open":
                raise ParamError(
                    'Only Checkout Sessions with a status in ["open"] can be expired. This '
                    f'Checkout Session has a status of "{session["status"]}".'
                )
            self._expire(session)
        return _json(200, self._render(session, _expand_list(params), authorization))

    def _list(self, params: dict[str, Any]) -> _Response:
        limit = check_params(params.get("limit", "10"), int, "limit")
        if not 1 <= limit <= 100:
            raise ParamError("Invalid limit: must be between 1 and 100", "limit")
        with self._lock:
            found = [
                copy.deepcopy(s)
                for s in self.sessions.values()
                if all(
                    params.get(k) in (None, s.get(k))
                    for k in ("payment_intent", "status", "customer")
                )
            ]
        found.sort(key=lambda s: s["created"], reverse=True)
        return _json(
            200,
            {
                "object": "list",
                "data": found[:limit],
                "has_more": len(found) > limit,
                "url": "/v1/checkout/sessions",
            },
        )

    def _list_line_items(self, session_id: str) -> _Response:
        self._find(session_id)
        return _json(200, self._line_items_list(session_id))

    def _line_items_list(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            data = copy.deepcopy(self._line_items[session_id])
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session_id}/line_items",
        }

    def _find(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions.get(session_id)
        if session is None:
            raise ParamError(
                f"No such checkout.session: '{session_id}'",
                "session",
                code="resource_missing",
                status=404,
            )
        return session

    def _render(
        self, session: dict[str, Any], expand: list[str], authorization: str | None
    ) -> dict[str, Any]:
        with self._lock:
            out = copy.deepcopy(session)
        for path in expand:
            head, _, rest = path.partition(".")
            if head == "line_items" and not rest:
                out["line_items"] = self._line_items_list(out["id"])
            elif head == "payment_intent":
                if out["payment_intent"] is not None:
                    params = {"expand": [rest]} if rest else None
                    status, intent = self._localstripe(
                        "GET",
                        f"/v1/payment_intents/{out['payment_intent']}",
                        params,
                        authorization=authorization,
                    )
                    if status != 200:
                        raise ParamError(
                            f"Could not expand payment_intent: {intent!r}", "expand", status=status
                        )
                    out["payment_intent"] = intent
            elif head in out and out[head] is None and not rest:
                continue
            else:
                raise ParamError(f"This property cannot be expanded ({path}).", "expand")
        return out

    # -- the hosted page --------------------------------------------------------------

    def _hosted_page(self, method: str, session_id: str, body: bytes) -> _Response:
        with self._lock:
            session = self.sessions.get(session_id)
        if session is None:
            return _page(
                404, "Something went wrong", "<p>This Checkout Session does not exist.</p>"
            )
        if method == "POST":
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            try:
                event = self.complete(session_id, method=form.get("method", "card"))
            except ValueError as exc:
                return _page(409, "Cannot pay", f"<p>{html.escape(str(exc))}</p>")
            if self.webhook_url and self.webhook_secret:
                with contextlib.suppress(OSError):  # app down: Stripe would retry later
                    deliver_http(self.webhook_url, event, self.webhook_secret)
            target = (session.get("success_url") or self.url + "/").replace(
                "{CHECKOUT_SESSION_ID}", session_id
            )
            return _Response(303, b"", {"Location": target})
        if session["status"] != "open":
            status = html.escape(session["status"])
            return _page(200, "Checkout", f'<p id="status">This Checkout Session is {status}.</p>')
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        lines = "".join(
            f"<li>{html.escape(str(item['description']))} × {item['quantity']}</li>"
            for item in self._line_items.get(session_id, [])
        )
        buttons = "".join(
            f'<button type="submit" name="method" value="{html.escape(m)}" '
            f'id="pay-{html.escape(m)}">Pay with {html.escape(m)}</button> '
            for m in session["payment_method_types"]
        )
        cancel = session.get("cancel_url")
        back = f'<p><a id="cancel" href="{html.escape(cancel)}">Cancel</a></p>' if cancel else ""
        content = (
            f'<p id="amount">{html.escape(amount)}</p><ul>{lines}</ul>'
            f'<form method="post">{buttons}</form>{back}'
        )
        return _page(200, "Checkout (stripe_fake)", content)


def _page(status: int, title: str, content: str) -> _Response:
    body = (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><h1>{html.escape(title)}</h1>{content}</html>"
    )
    return _Response(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _expand_list(params: dict[str, Any]) -> list[str]:
    expand = params.get("expand") or []
    if isinstance(expand, str):
        expand = [expand]
    if not isinstance(expand, list) or not all(isinstance(e, str) for e in expand):
        raise ParamError("Invalid array: expand must be an array of strings", "expand")
    return expand


def _check_api_key(authorization: str | None) -> _Response | None:
    if not authorization:
        return _error(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    scheme, _, credential = authorization.partition(" ")
    if scheme == "Basic":
        try:
            credential = b64decode(credential).decode().partition(":")[0]
        except ValueError:
            credential = ""
    if not credential.startswith(("sk_test_", "rk_test_")):
        shown = credential[:8] + "*" * max(0, len(credential) - 12) + credential[-4:]
        return _error(401, f"Invalid API Key provided: {shown} (stripe_fake takes test keys only)")
    return None


class _Handler(BaseHTTPRequestHandler):
    fake: StripeFake
    server_version = "stripe-fake/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = self.fake.handle(method, self.path, headers, body)
        except ParamError as exc:
            response = _error(exc.status, exc.message, param=exc.param, code=exc.code)
        except Exception as exc:  # a bug in the fake: answer like Stripe's 500, keep serving
            response = _error(500, f"stripe_fake: {type(exc).__name__}: {exc}", type="api_error")
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(response.body)


# -- a webhook receiver, for what localstripe itself sends ---------------------------------


@dataclass(frozen=True)
class ReceivedWebhook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """A tiny HTTP server recording every POST (answers 200); ``wait_for`` polls for one."""

    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                hook = ReceivedWebhook(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with receiver._cond:
                    receiver.received.append(hook)
                    receiver._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="webhook-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(
        self, predicate: Callable[[ReceivedWebhook], bool], timeout: float = 10.0
    ) -> ReceivedWebhook:
        """The first received request matching ``predicate``; TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for hook in self.received:
                    if predicate(hook):
                        return hook
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching webhook in {timeout}s: {self.received!r}")
                self._cond.wait(remaining)

    def wait_for_event(self, type: str, timeout: float = 10.0) -> ReceivedWebhook:
        return self.wait_for(lambda hook: _event_type(hook.body) == type, timeout)

    def event_types(self) -> list[str]:
        with self._cond:
            return [_event_type(hook.body) for hook in self.received]


def _event_type(body: bytes) -> str:
    try:
        return str(json.loads(body).get("type"))
    except (ValueError, AttributeError):
        return ""
