"""Request ids, JSON logs and Prometheus metrics.

* **Request id**: an incoming ``X-Request-ID`` (letters, digits, ``._-``, at most 64) is
  kept, else a random one is made; it is echoed in the response and added to every log
  record written while the request runs.
* **Logs**: ``LOG_FORMAT=json`` (the production default) writes one JSON object per line
  (time, level, logger, message, request_id, exception); ``text`` is for development.
* **Metrics** (``prometheus_client``): request latency by endpoint, payment events by
  outcome, certificates rendered, queue depth (read from Redis at scrape time). Under
  gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory) so every worker's
  figures are summed; ``gunicorn.conf.py`` marks dead workers. ``/metrics`` answers only
  with the bearer token ``METRICS_TOKEN`` when it is set, otherwise only to a loopback
  client that came without a proxy (no ``X-Forwarded-For``).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

log = logging.getLogger(__name__)
_COLLECTORS = "tanhui.metric_collectors"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_LOOPBACK = frozenset({"127.0.0.1", "::1"})

REQUEST_LATENCY = Histogram(
    "tanhui_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter(
    "tanhui_http_requests", "Requests answered, by endpoint and status.", ["endpoint", "status"]
)
PAYMENT_EVENTS = Counter(
    "tanhui_payment_events", "Payment provider events handled, by outcome.", ["outcome"]
)
CERTIFICATES_RENDERED = Counter(
    "tanhui_certificates_rendered", "Certificate PDFs rendered (not served from the store)."
)


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """One stream handler on the root logger, JSON or text, with request ids."""
    if app.testing:
        return
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_tanhui", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._tanhui = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
        )
    root.setLevel(logging.WARNING)
    logging.getLogger("webapp").setLevel(app.config.get("LOG_LEVEL", "INFO"))


def register(app: Flask) -> None:
    configure_logging(app)

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        if started is not None:
            endpoint = request.endpoint or "unmatched"
            REQUEST_LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
            REQUESTS.labels(endpoint, str(response.status_code)).inc()
        return response

    @app.get("/metrics")
    def metrics():
        if not _metrics_allowed(app.config.get("METRICS_TOKEN")):
            abort(404)
        data = generate_latest(_registry(app.extensions.get(_COLLECTORS, [])))
        return Response(data, mimetype=CONTENT_TYPE_LATEST)


def _metrics_allowed(token: str | None) -> bool:
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.remote_addr in _LOOPBACK and "X-Forwarded-For" not in request.headers


def add_collector(app: Flask, collector: Any) -> None:
    """A domain adds a metric read when /metrics is scraped (e.g. the queue depths)."""
    app.extensions.setdefault(_COLLECTORS, []).append(collector)


def _registry(collectors: list[Any]) -> CollectorRegistry:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessCollectors())
    for collector in collectors:
        registry.register(collector)
    return registry


class _ProcessCollectors:
    """This process's own metrics (single-process mode)."""

    def collect(self):
        from prometheus_client import REGISTRY

        yield from REGISTRY.collect()
