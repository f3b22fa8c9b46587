"""Background tasks: the payment aftermath (receipt e-mail, certificate PDF), reservation
expiry, plot-hold expiry and payment reconciliation.

Where they run:

* **RQ on Redis** when ``RQ_REDIS_URL`` is set: :func:`dispatch` queues the aftermath on
  the ``default`` queue; ``flask tasks worker`` runs the ``default`` and ``certificates``
  queues; ``flask tasks scheduler`` queues the periodic tasks (:data:`PERIODIC`), each at
  most once per interval however many schedulers run (a Redis ``SET NX EX`` per slot).
* **In-process** otherwise (the embedded default, ``make run``): the aftermath runs in the
  request right after its commit, as before; ``flask tasks scheduler`` runs the periodic
  tasks itself (or use cron with the single commands, ``registry expire``, ``plots expire``,
  ``payments reconcile``).

Tasks are boundaries like views and commands: each commits what it did. Every one is
idempotent (expiry and reconciliation re-read the state; a PDF is rendered once; a
receipt sent twice is the worst a retry does).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "default"
QUEUES = (DEFAULT_QUEUE, "certificates")
# name → seconds between runs
PERIODIC: dict[str, int] = {
    "expire_reservations": 60,
    "expire_plots": 60,
    "reconcile_payments": 300,
    # Entries written through the app publish their head as they commit; this covers
    # anything written otherwise, so a proof is available at most this late.
    "publish_tree_head": 60,
}


# ---- the tasks (session in, commit inside) -----------------------------------------


def after_payment(session: Session, config: Mapping[str, Any], order_ids: list[int]) -> None:
    from webapp.services.payments import aftermath

    aftermath.after_payment(session, dict(config), order_ids)


def after_partial_refund(
    session: Session,
    config: Mapping[str, Any],
    order_id: int,
    amount: str,
    kg: int,
    certificate_id: int | None,
) -> None:
    from webapp.services.payments import aftermath

    aftermath.after_partial_refund(session, dict(config), order_id, amount, kg, certificate_id)


def expire_reservations(session: Session, config: Mapping[str, Any]) -> str:
    from webapp.services.registry import allocation

    released = allocation.expire_due(session)
    session.commit()
    return f"released {len(released)} expired reservations"


def expire_plots(session: Session, config: Mapping[str, Any]) -> str:
    from webapp.services.plots import reservations

    freed = reservations.expire_due(session)
    session.commit()
    return f"released {len(freed)} expired plot reservations"


def publish_tree_head(session: Session, config: Mapping[str, Any]) -> str:
    """Publish the signed head of the current ledger size if not yet published."""
    from webapp.services import keys
    from webapp.services.registry import published

    key, _keyring = keys.signing(config)
    sth = published.publish(session, key)
    session.commit()
    return f"published tree head at size {sth['tree_size']}"


def reconcile_payments(
    session: Session,
    config: Mapping[str, Any],
    older_than_minutes: int | None = None,
    echo: Callable[[str], None] | None = None,
) -> str:
    """Re-fetch pending payments, settle them, release lapsed holds; a summary line."""
    from webapp.errors import DomainError
    from webapp.models import Order
    from webapp.models.base import utcnow
    from webapp.services import keys
    from webapp.services.payments import aftermath, gateway, reconcile
    from webapp.services.payments.providers import ProviderError
    from webapp.services.registry import allocation

    say = echo or (lambda line: log.info("%s", line))
    minutes = (
        config["RECONCILE_AFTER_MINUTES"] if older_than_minutes is None else older_than_minutes
    )
    now = utcnow()
    key, _keyring = keys.signing(config)
    ids = reconcile.due(session, now=now, older_than=timedelta(minutes=minutes))
    session.commit()
    counts: Counter[str] = Counter()
    for order_id in ids:
        order = session.get(Order, order_id)
        try:
            provider = gateway.provider_for(config, order.method)
            outcome = reconcile.reconcile_order(session, provider, order, key=key, now=now)
            session.commit()
        except (ProviderError, DomainError) as exc:
            session.rollback()
            counts["error"] += 1
            say(f"{order.ref}: not settled: {exc}")
            continue
        counts[outcome.result] += 1
        say(f"{order.ref}: {outcome.result}")
        aftermath.after_payment(session, dict(config), outcome.paid_order_ids)
    # Reservations held by anything else (or left behind) lapse too.
    released = allocation.expire_due(session, now=now)
    session.commit()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing pending"
    return f"reconciled {len(ids)} order(s): {summary}; released {len(released)} hold(s)"


TASKS: dict[str, Callable[..., Any]] = {
    "after_payment": after_payment,
    "after_partial_refund": after_partial_refund,
    "expire_reservations": expire_reservations,
    "expire_plots": expire_plots,
    "publish_tree_head": publish_tree_head,
    "reconcile_payments": reconcile_payments,
}


# ---- running them -------------------------------------------------------------------

_worker_app: Flask | None = None


def worker_app() -> Flask:
    """The Flask app of this process: the current one, or one built from the environment
    (an RQ worker imports the task functions without an app)."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from webapp import create_app

        _worker_app = create_app()
    return _worker_app


def run(name: str, *args: Any) -> Any:
    """RQ entry point (``webapp.tasks.run``): the task in a fresh app context."""
    from webapp.extensions import db

    app = worker_app()
    with app.app_context():
        try:
            return TASKS[name](db.session, app.config, *args)
        finally:
            db.session.remove()


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
    url = config.get("RQ_REDIS_URL")
    if not url:
        return None
    from rq import Queue

    return Queue(name, connection=redis_client(url))


def dispatch(session: Session, config: Mapping[str, Any], name: str, *args: Any) -> str:
    """Run a task after the caller's commit: queued on RQ when configured, else here.

    If the queue cannot be reached the task runs in-process, so nothing is lost.
    """
    rq_queue = queue(config)
    if rq_queue is not None:
        try:
            rq_queue.enqueue(
                "webapp.tasks.run", name, *args, job_timeout=600, result_ttl=3600, retry=None
            )
        except Exception:
            log.exception("could not queue task %s; running it in-process", name)
        else:
            return "rq"
        finally:
            rq_queue.connection.close()
    TASKS[name](session, config, *args)
    return "inline"


def queue_depths(url: str) -> dict[str, int]:
    from rq import Queue

    connection = redis_client(url)
    try:
        return {name: Queue(name, connection=connection).count for name in QUEUES}
    finally:
        connection.close()


def scheduler_tick(config: Mapping[str, Any], now: float, last: dict[str, float]) -> list[str]:
    """Start every periodic task whose interval has passed; the names started.

    With RQ, a Redis key per task and interval slot makes sure only one scheduler of
    many queues it; without RQ the task runs here.
    """
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
                    "webapp.tasks.run", name, job_timeout=600, result_ttl=3600
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
