"""``flask plots expire``: return plot reservations whose hold ran out (cron, or the
scheduler's ``expire_plots`` task — the same function)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import tasks
from webapp.extensions import db

cli = AppGroup("plots", help="Memorial-forest plots.")


@cli.command("expire")
def expire() -> None:
    """Release plot reservations past their hold; sponsored plots are never touched."""
    click.echo(tasks.expire_plots(db.session, current_app.config))
