"""``flask payments reconcile``: settle what webhooks missed (the ``reconcile_payments``
task, with its lines printed)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import tasks
from webapp.extensions import db

cli = AppGroup("payments", help="Payments.")


@cli.command("reconcile")
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
