"""The periodic scheduler: starts each task of :data:`tasks.PERIODIC` when it is due.

With RQ, a Redis ``SET NX EX`` per task and interval slot makes sure only one scheduler of
many queues it; without RQ the task runs in this process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from webapp.background.queue import DEFAULT_QUEUE, redis_client
from webapp.background.tasks import PERIODIC, run

log = logging.getLogger(__name__)


def scheduler_tick(config: Mapping[str, Any], now: float, last: dict[str, float]) -> list[str]:
    """Start every periodic task whose interval has passed; the names started."""
    started = []
    url = config.get("RQ_REDIS_URL")
    for name, every in PERIODIC.items():
        if now - last.get(name, 0.0) < every:
            continue
        last[name] = now
        if url:
            connection = redis_client(url)
            try:
                slot = int(now // every)
                if not connection.set(f"tanhui:periodic:{name}:{slot}", "1", nx=True, ex=every):
                    continue
                from rq import Queue

                Queue(DEFAULT_QUEUE, connection=connection).enqueue(
                    "webapp.background.tasks.run", name, job_timeout=600, result_ttl=3600
                )
            finally:
                connection.close()
        else:
            log.info("%s: %s", name, run(name))
        started.append(name)
    return started


def run_scheduler(config: Mapping[str, Any], *, once: bool = False, tick: float = 5.0) -> None:
    last: dict[str, float] = {}
    while True:
        try:
            started = scheduler_tick(config, time.time(), last)
            if started:
                log.info("periodic tasks started: %s", ", ".join(started))
        except Exception:
            log.exception("scheduler tick failed; trying again")
        if once:
            return
        time.sleep(tick)
