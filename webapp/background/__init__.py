"""Work that runs after a request: the task queue, the payment aftermath, the certificate
batch runner, the periodic scheduler and their commands.

``queue.py``      one Redis client, one way to queue a job, the worker's app
``tasks.py``      the tasks and ``dispatch`` (RQ when configured, else in-process)
``aftermath.py``  receipt e-mail and certificate PDFs after a payment or partial refund
``deliveries.py`` the e-mail to holders whose projected tonnes were delivered
``batches.py``    the bulk-issue job (render personal PDFs, pack a ZIP)
``scheduler.py``  periodic tasks, once per interval however many schedulers run
``cli.py``        ``flask tasks worker|scheduler|run``

:func:`init_app` registers, at app creation, the handlers of the after-commit messages
this package serves (``webapp/services/messages.py``) and the queue-depth metric.
"""

from __future__ import annotations

from flask import Flask

from webapp import observability, unit_of_work
from webapp.background import batches, deliveries, tasks
from webapp.background.queue import QueueDepthCollector, remember_app
from webapp.extensions import db
from webapp.services.messages import (
    CertificateBatchCreated,
    DeliveryMade,
    LossConfirmed,
    OrderPaid,
    PartialRefundMade,
)


def _order_paid(app: Flask, message: OrderPaid) -> None:

    tasks.dispatch(db.session, app.config, "after_payment", [message.order_id])


def _partial_refund(app: Flask, message: PartialRefundMade) -> None:

    tasks.dispatch(
        db.session,
        app.config,
        "after_partial_refund",
        message.order_id,
        message.amount,
        message.kg,
        message.certificate_id,
    )


def _batch_created(app: Flask, message: CertificateBatchCreated) -> None:

    batches.start(app, db.session, message.batch_id)


def _loss_confirmed(app: Flask, message: LossConfirmed) -> None:

    tasks.dispatch(db.session, app.config, "after_loss", message.loss_id)


def _delivery_made(app: Flask, message: DeliveryMade) -> None:

    deliveries.after_delivery(db.session, app.config, message.allocation_id)


def init_app(app: Flask) -> None:
    unit_of_work.on(app, OrderPaid, _order_paid)
    unit_of_work.on(app, PartialRefundMade, _partial_refund)
    unit_of_work.on(app, CertificateBatchCreated, _batch_created)
    unit_of_work.on(app, LossConfirmed, _loss_confirmed)
    unit_of_work.on(app, DeliveryMade, _delivery_made)
    observability.add_collector(app, QueueDepthCollector(app.config))
    remember_app(app)
