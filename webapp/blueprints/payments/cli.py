"""`flask --app wsgi payments reconcile`: settle what webhooks missed."""

from __future__ import annotations

import click
from flask import current_app

from webapp import tasks
from webapp.blueprints.payments import bp
from webapp.extensions import db


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
    summary = tasks.reconcile_payments(
        db.session,
        current_app.config,
        older_than_minutes=older_than,
        echo=lambda line: click.echo(line, err=": not settled:" in line),
    )
    click.echo(summary)
