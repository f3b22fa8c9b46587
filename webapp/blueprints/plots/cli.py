"""`flask plots expire`: return plot reservations whose hold ran out (run it from cron)."""

from __future__ import annotations

import click

from webapp.blueprints.plots import bp
from webapp.extensions import db
from webapp.services.plots import reservations


@bp.cli.command("expire")
def expire() -> None:
    """Release plot reservations past their hold; sponsored plots are never touched."""
    freed = reservations.expire_due(db.session)
    db.session.commit()
    click.echo(f"released {len(freed)} expired plot reservations")
