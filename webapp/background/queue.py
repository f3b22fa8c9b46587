"""The task queue: one Redis client, one way to queue a job, one app for worker processes.

RQ on Redis when ``RQ_REDIS_URL`` is set; otherwise callers run the work in-process (see
:func:`webapp.background.tasks.dispatch` and :func:`webapp.background.batches.start`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, current_app, has_app_context
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "default"
CERTIFICATES_QUEUE = "certificates"
QUEUES = (DEFAULT_QUEUE, CERTIFICATES_QUEUE)

_worker_app: Flask | None = None


def remember_app(app: Flask) -> None:
    """Called at app creation: the app a job of this process runs in when it is started
    outside any app context (a worker thread, a job run by RQ's own loop)."""
    global _worker_app
    _worker_app = app


def worker_app() -> Flask:
    """The Flask app of this process: the current one, else the one created last.

    Workers are started with ``flask --app wsgi tasks worker``, which creates the app, so
    a job never needs to build one (and this package never imports the app factory).
    """
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        raise RuntimeError("no Tanhui app in this process: start workers with `flask tasks worker`")
    return _worker_app


def redis_client(url: str):
    """A Redis client that fails at once when Redis is down (redis-py ≥ 6 otherwise
    retries with a backoff of seconds, holding the request that queues a task)."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )


def queue(config: Mapping[str, Any], name: str = DEFAULT_QUEUE):
    """The named RQ queue, or None when no broker is configured."""
    url = config.get("RQ_REDIS_URL")
    if not url:
        return None
    from rq import Queue

    return Queue(name, connection=redis_client(url))


def enqueue(config: Mapping[str, Any], queue_name: str, function: str, *args: Any, **options: Any):
    """Queue ``function(*args)`` on RQ; the job, or None when there is no broker or it
    cannot be reached (the caller then runs the work in-process, so nothing is lost)."""
    rq_queue = queue(config, queue_name)
    if rq_queue is None:
        return None
    try:
        return rq_queue.enqueue(function, *args, **options)
    except Exception:
        log.exception("could not queue %s%r; running it in-process", function, args)
        return None
    finally:
        rq_queue.connection.close()


def queue_depths(url: str) -> dict[str, int]:
    from rq import Queue

    connection = redis_client(url)
    try:
        return {name: Queue(name, connection=connection).count for name in QUEUES}
    finally:
        connection.close()


class QueueDepthCollector:
    """Jobs waiting in each RQ queue, read from Redis when scraped (no Redis: nothing)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        # The app's config itself, read at scrape time: the broker is whatever is
        # configured then, as when the collector was built per scrape.
        self.config = config

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tanhui_queue_depth", "Jobs waiting in the task queue.", labels=["queue"]
        )
        url = self.config.get("RQ_REDIS_URL")
        if url:
            try:
                for name, depth in queue_depths(url).items():
                    family.add_metric([name], depth)
            except Exception as exc:  # a scrape must not fail because Redis is down
                log.warning("queue depth unavailable: %s", exc)
        yield family
