"""Background tasks: the payment aftermath (receipt e-mail, certificate PDF), reservation
expiry, plot-hold expiry and payment reconciliation.

Where they run:

* **RQ on Redis** when ``RQ_REDIS_URL`` is set: :func:`dispatch` queues a task on the
  ``default`` queue; ``flask tasks worker`` runs the ``default`` and ``certificates``
  queues; ``flask tasks scheduler`` queues the periodic tasks (:data:`PERIODIC`), each at
  most once per interval however many schedulers run (see ``scheduler.py``).
* **In-process** otherwise (the embedded default, ``make run``): the task runs in the
  request right after the commit that asked for it.

Tasks are boundaries like views and commands: each commits what it did through
:func:`webapp.unit_of_work.committing`, step by step. Every one is idempotent (expiry and
reconciliation re-read the state; a PDF is rendered once; a receipt sent twice is the
worst a retry does).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from webapp.background import aftermath
from webapp.background.queue import DEFAULT_QUEUE, enqueue, worker_app
from webapp.errors import DomainError
from webapp.models import Order, PlantingRegistration
from webapp.models.base import utcnow
from webapp.services import keys
from webapp.services.payments import gateway, reconcile
from webapp.services.payments.providers import ProviderError
from webapp.services.planting import mails as planting_mails
from webapp.services.plots import reservations
from webapp.services.registry import allocation, published
from webapp.unit_of_work import committing

log = logging.getLogger(__name__)

# name → seconds between runs
PERIODIC: dict[str, int] = {
    "expire_reservations": 60,
    "expire_plots": 60,
    "reconcile_payments": 300,
    # Entries written through the app publish their head as they commit; this covers
    # anything written otherwise, so a proof is available at most this late.
    "publish_tree_head": 60,
    # Registered planters are reminded once, 48 hours before their planting day.
    "planting_reminders": 900,
}


# ---- the tasks (session in, each step committed through the boundary) -------------------


def after_payment(session: Session, config: Mapping[str, Any], order_ids: list[int]) -> None:
    aftermath.after_payment(session, dict(config), order_ids)


def after_partial_refund(
    session: Session,
    config: Mapping[str, Any],
    order_id: int,
    amount: str,
    kg: int,
    certificate_id: int | None,
) -> None:
    aftermath.after_partial_refund(session, dict(config), order_id, amount, kg, certificate_id)


def after_loss(session: Session, config: Mapping[str, Any], loss_id: int) -> int:
    """E-mail the holders of certificates resting on a project with a confirmed loss."""
    return aftermath.after_loss(session, dict(config), loss_id)


def expire_reservations(session: Session, config: Mapping[str, Any]) -> str:
    with committing(session):
        released = allocation.expire_due(session)
    return f"released {len(released)} expired reservations"


def expire_plots(session: Session, config: Mapping[str, Any]) -> str:
    with committing(session):
        freed = reservations.expire_due(session)
    return f"released {len(freed)} expired plot reservations"


def publish_tree_head(session: Session, config: Mapping[str, Any]) -> str:
    """Publish the signed head of the current ledger size if not yet published."""
    key, _keyring = keys.signing(config)
    with committing(session):
        sth = published.publish(session, key)
    return f"published tree head at size {sth['tree_size']}"


def reconcile_payments(
    session: Session,
    config: Mapping[str, Any],
    older_than_minutes: int | None = None,
    echo: Callable[[str], None] | None = None,
) -> str:
    """Re-fetch pending payments, settle them, release lapsed holds; a summary line.

    One unit of work per order, so one provider that fails settles nothing of that
    order and stops nothing else; each paid order's aftermath follows its own commit.
    """
    say = echo or (lambda line: log.info("%s", line))
    minutes = (
        config["RECONCILE_AFTER_MINUTES"] if older_than_minutes is None else older_than_minutes
    )
    now = utcnow()
    key, _keyring = keys.signing(config)
    with committing(session):
        ids = reconcile.due(session, now=now, older_than=timedelta(minutes=minutes))
    counts: Counter[str] = Counter()
    for order_id in ids:
        ref = ""
        try:
            with committing(session):
                order = session.get(Order, order_id)
                ref = order.ref
                provider = gateway.provider_for(config, order.method)
                outcome = reconcile.reconcile_order(session, provider, order, key=key, now=now)
        except (ProviderError, DomainError) as exc:
            counts["error"] += 1
            say(f"{ref}: not settled: {exc}")
            continue
        counts[outcome.result] += 1
        say(f"{ref}: {outcome.result}")
    # Reservations held by anything else (or left behind) lapse too.
    with committing(session):
        released = allocation.expire_due(session, now=now)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing pending"
    return f"reconciled {len(ids)} order(s): {summary}; released {len(released)} hold(s)"


def planting_reminders(session: Session, config: Mapping[str, Any]) -> str:
    """E-mail everyone registered for a planting day starting within 48 hours, once."""
    with committing(session):
        ids = planting_mails.due_reminders(session)
    sent = 0
    for registration_id in ids:
        registration = session.get(PlantingRegistration, registration_id)
        message = planting_mails.reminder_mail(registration, config["BASE_URL"])
        sent += planting_mails.send_quietly(config, message)
    return f"sent {sent} planting-day reminder(s)"


TASKS: dict[str, Callable[..., Any]] = {
    "after_payment": after_payment,
    "after_partial_refund": after_partial_refund,
    "after_loss": after_loss,
    "expire_reservations": expire_reservations,
    "expire_plots": expire_plots,
    "publish_tree_head": publish_tree_head,
    "reconcile_payments": reconcile_payments,
    "planting_reminders": planting_reminders,
}


# ---- running them -------------------------------------------------------------------


def run(name: str, *args: Any) -> Any:
    """RQ entry point (``webapp.background.tasks.run``): the task in a fresh app context."""
    from webapp.extensions import db

    app = worker_app()
    with app.app_context():
        try:
            return TASKS[name](db.session, app.config, *args)
        finally:
            db.session.remove()


def dispatch(session: Session, config: Mapping[str, Any], name: str, *args: Any) -> str:
    """Run a task now that the caller's commit is done: queued on RQ when configured,
    else here. If the queue cannot be reached the task runs in-process, so nothing is lost.
    """
    job = enqueue(
        config,
        DEFAULT_QUEUE,
        "webapp.background.tasks.run",
        name,
        *args,
        job_timeout=600,
        result_ttl=3600,
        retry=None,
    )
    if job is not None:
        return "rq"
    TASKS[name](session, config, *args)
    return "inline"
