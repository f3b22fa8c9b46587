"""``flask planting remind``: e-mail the people registered for planting days that start
within 48 hours, once per day (cron, or the scheduler's ``planting_reminders`` task — the
same function)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import tasks
from webapp.extensions import db

cli = AppGroup("planting", help="Voluntary tree-planting days.")


@cli.command("remind")
def remind() -> None:
    """Send the reminders of planting days starting within 48 hours (each day once)."""
    click.echo(tasks.planting_reminders(db.session, current_app.config))
