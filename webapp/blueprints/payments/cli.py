"""`flask --app wsgi payments reconcile`: settle what webhooks missed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import click
from flask import current_app

from webapp.blueprints.payments import bp
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Order
from webapp.models.base import utcnow
from webapp.services import keys
from webapp.services.payments import aftermath, gateway, reconcile
from webapp.services.payments.providers import ProviderError
from webapp.services.registry import allocation as allocations


@bp.cli.command("reconcile")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=None,
    help="Re-fetch payments pending longer than this many minutes "
    "(default RECONCILE_AFTER_MINUTES).",
)
def reconcile_command(older_than: int | None) -> None:
    """Re-fetch pending payments from their provider, settle them, release lapsed holds."""
    config = current_app.config
    minutes = config["RECONCILE_AFTER_MINUTES"] if older_than is None else older_than
    now = utcnow()
    key, _keyring = keys.signing(config)
    ids = reconcile.due(db.session, now=now, older_than=timedelta(minutes=minutes))
    db.session.commit()
    counts: Counter[str] = Counter()
    for order_id in ids:
        order = db.session.get(Order, order_id)
        try:
            provider = gateway.provider_for(config, order.method)
            outcome = reconcile.reconcile_order(db.session, provider, order, key=key, now=now)
            db.session.commit()
        except (ProviderError, DomainError) as exc:
            db.session.rollback()
            counts["error"] += 1
            click.echo(f"{order.ref}: not settled: {exc}", err=True)
            continue
        counts[outcome.result] += 1
        click.echo(f"{order.ref}: {outcome.result}")
        aftermath.after_payment(db.session, config, outcome.paid_order_ids)
    # Reservations held by anything else (or left behind) lapse too.
    released = allocations.expire_due(db.session, now=now)
    db.session.commit()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing pending"
    click.echo(f"reconciled {len(ids)} order(s): {summary}; released {len(released)} hold(s)")
