"""localstripe (a stateful fake Stripe, https://github.com/adrienverge/localstripe) in a subprocess.

    server = start_localstripe()
    server.url                     # "http://127.0.0.1:PORT"
    server.register_webhook("app", "http://127.0.0.1:5000/webhooks/stripe", "whsec_x")
    server.request("GET", "/v1/payment_intents/pi_...")   # -> (status, json)
    server.stop()                  # terminate + wait, kill on timeout; idempotent

How it is started: ``python -c LAUNCHER`` runs localstripe's own aiohttp application (the
one ``localstripe --from-scratch`` serves) with three differences from its CLI entry point,
which all matter for tests:

* it binds ``127.0.0.1`` on a free port chosen by the kernel (port 0) and reports that port
  on stdout -- the CLI binds ``::`` (every interface) on a port you must pick beforehand;
* the store is never read from nor written to ``/tmp/localstripe.pickle`` (the CLI pickles
  the whole store to that shared path after every write, even with ``--from-scratch``, so
  two runs on one machine would overwrite each other's file and pay O(store) per request);
* it exits when its stdin reaches EOF, i.e. when the test process dies, even by SIGKILL, so
  an interrupted run leaves no server behind.

What localstripe 1.15.10 does and does not do (read from its source, checked by
tests/unit/stripe_harness):

* PaymentIntents: create/confirm/cancel/capture. Payment method types are only ``card`` and
  ``sepa_debit`` (no Alipay, no WeChat Pay, no Checkout Sessions, no Prices). The canonical
  test ids ``pm_card_visa`` (4242 4242 4242 4242, succeeds), ``pm_card_visa_chargeDeclined``
  and ``pm_card_chargeCustomerFail`` (declined when charged) work; ``confirm`` takes no
  ``payment_method`` (it answers 500 "Not implemented"), so set it at creation or by update.
  A card PaymentIntent confirmed with ``confirm=true`` is ``succeeded`` synchronously.
  ``latest_charge`` is returned as the expanded Charge object, not as an id as Stripe does.
  A Charge created by a PaymentIntent does not inherit the PaymentIntent's metadata.
* Refunds: ``POST /v1/refunds`` with ``payment_intent`` or ``charge`` (and ``metadata``,
  ``amount``) -> a Refund with ``status`` "succeeded". It does not check the refunded total
  against the charge (a second full refund is accepted) and it sends NO webhook for refunds:
  neither ``charge.refunded`` nor ``refund.created``/``charge.refund.updated``.
* Webhooks it does send (signed like Stripe: ``t=<created>,v1=<hmac>``, delivered about one
  second after the action, JSON with ``api_version`` "2017-08-15"):
  ``payment_intent.succeeded``, ``payment_intent.payment_failed``, ``customer.*``,
  ``customer.source.created``, ``customer.subscription.created/deleted``, ``invoice.*``,
  ``plan.created``, ``product.created``, ``payout.*``, ``balance.available``. Never any
  ``charge.*`` nor ``checkout.session.*`` event: build those with ``tests.support.stripe_fake``.
* Idempotency keys are ignored (the fake in ``stripe_fake`` adds Stripe's idempotency layer in
  front of it).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

DEFAULT_API_KEY = "sk_test_localstripe"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0

# Runs localstripe's aiohttp app; argv[1] is the port (0: any free one).
LAUNCHER = r"""
import logging, os, signal, socket, sys, threading

from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None  # no shared /tmp/localstripe.pickle


def _watch_parent():
    while os.read(0, 4096):  # EOF: the parent closed the pipe or died
        pass
    os.kill(os.getpid(), signal.SIGTERM)


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sys.stdout.write("%d\n" % sock.getsockname()[1])
sys.stdout.flush()
os.dup2(2, 1)
threading.Thread(target=_watch_parent, daemon=True).start()
logger = logging.getLogger("aiohttp.access")
logger.setLevel(logging.INFO)
logger.addHandler(logging.StreamHandler())
web.run_app(server.app, sock=sock, print=None, access_log=logger, shutdown_timeout=1)
"""


def encode_form(params: Mapping[str, Any]) -> str:
    """Stripe's form encoding, as the SDK does it: ``a[b][0][c]=v``, booleans as true/false,
    None left out."""
    return urlencode(list(_flatten(params, None)))


def _flatten(value: Any, prefix: str | None) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _flatten(sub, f"{prefix}[{key}]" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, sub in enumerate(value):
            yield from _flatten(sub, f"{prefix}[{index}]")
    elif value is None:
        return
    elif isinstance(value, bool):
        yield str(prefix), "true" if value else "false"
    else:
        yield str(prefix), str(value)


def http_request(
    url: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request (no proxies from the environment, connection always closed)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class LocalStripe:
    """A running localstripe subprocess. Use :func:`start_localstripe` to make one."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = log

    # -- lifecycle -------------------------------------------------------------------------

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Terminate and reap the process (SIGKILL if it does not exit in ``timeout``)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> LocalStripe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        """What localstripe wrote so far (its access log and any traceback)."""
        if self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    # -- API -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]:
        """Call the API form-encoded like the SDK; returns (status, decoded JSON or text)."""
        headers = {"Authorization": f"Bearer {api_key}"}
        body = None
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if method.upper() in ("GET", "DELETE"):
            if params:
                path = f"{path}?{encode_form(params)}"
        else:
            body = encode_form(params or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, _, raw = http_request(self.url, method.upper(), path, body=body, headers=headers)
        return status, _decode(raw)

    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """:meth:`request` that raises :class:`LocalStripeError` unless the status is 2xx."""
        status, data = self.request(method, path, params)
        if not 200 <= status < 300:
            raise LocalStripeError(f"{method} {path} -> {status}: {data!r}")
        return data

    def register_webhook(
        self, name: str, url: str, secret: str, events: Iterable[str] | None = None
    ) -> None:
        """``POST /_config/webhooks/<name>``: localstripe signs what it sends to ``url`` with
        ``secret``; ``events`` filters the event types (None: all of them). Registering the
        same ``name`` again replaces the endpoint."""
        payload: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            payload["events"] = list(events)
        self._config("POST", f"/_config/webhooks/{name}", payload)

    def unregister_webhook(self, name: str) -> None:
        """localstripe cannot delete an endpoint: this leaves it subscribed to no event."""
        self._config(
            "POST",
            f"/_config/webhooks/{name}",
            {"url": "http://127.0.0.1:9/", "secret": "x", "events": []},
        )

    def flush(self) -> None:
        """``DELETE /_config/data``: forget every object (webhook endpoints stay)."""
        self._config("DELETE", "/_config/data", None)

    def _config(self, method: str, path: str, payload: Mapping[str, Any] | None) -> None:
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, _, raw = http_request(self.url, method, path, body=body, headers=headers)
        if status != 200:
            raise LocalStripeError(f"{method} {path} -> {status}: {raw!r}")


class LocalStripeError(RuntimeError):
    pass


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def start_localstripe(*, timeout: float = START_TIMEOUT) -> LocalStripe:
    """Start localstripe on a free loopback port and wait until it answers API calls."""
    log = tempfile.TemporaryFile(prefix="localstripe-", suffix=".log")  # noqa: SIM115 (kept open)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
        )
    except BaseException:
        log.close()
        raise
    deadline = time.monotonic() + timeout
    server: LocalStripe | None = None
    try:
        port = _read_port(process, deadline)
        server = LocalStripe(process, port, log)
        _wait_until_answering(server, deadline)
    except BaseException as exc:
        if server is None:
            server = LocalStripe(process, 0, log)
        output = server.log()
        server.stop()
        if isinstance(exc, Exception):
            raise LocalStripeError(f"localstripe did not start ({exc}):\n{output}") from exc
        raise
    return server


def _read_port(process: subprocess.Popen[bytes], deadline: float) -> int:
    assert process.stdout is not None
    line = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(min(remaining, 0.5)):
                if remaining <= 0 or process.poll() is not None:
                    raise LocalStripeError("no port reported")
                continue
            chunk = os.read(process.stdout.fileno(), 64)
            if not chunk:
                raise LocalStripeError("exited before reporting its port")
            line += chunk
    return int(line.strip())


def _wait_until_answering(server: LocalStripe, deadline: float) -> None:
    delay = 0.02
    while True:
        if server.process.poll() is not None:
            raise LocalStripeError("exited while starting")
        with contextlib.suppress(OSError):
            status, _ = server.request("GET", "/v1/balance")
            if status == 200:
                return
        if time.monotonic() > deadline:
            raise LocalStripeError("not answering")
        time.sleep(delay)  # polling interval, not a wait for an expected duration
        delay = min(delay * 2, 0.2)
