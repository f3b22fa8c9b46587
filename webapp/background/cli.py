"""``flask tasks worker|scheduler|run``: the RQ worker, the periodic scheduler, one task."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import scheduler, tasks
from webapp.background.queue import QUEUES, queue

cli = AppGroup("tasks", help="Background tasks: worker, scheduler, run one now.")


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run queued tasks (default + certificates queues) from RQ_REDIS_URL.

    A SimpleWorker: jobs run in this process, so the PDF renderer stays warm.
    """
    from rq import Queue, SimpleWorker

    default = queue(current_app.config)
    if default is None:
        raise click.ClickException("RQ_REDIS_URL is not set: tasks run in the web process")
    queues = [Queue(name, connection=default.connection) for name in QUEUES]
    SimpleWorker(queues, connection=default.connection).work(burst=burst, with_scheduler=True)


@cli.command("scheduler")
@click.option("--once", is_flag=True, help="One round of the periodic tasks, then stop.")
def run_scheduler(once: bool) -> None:
    """Start the periodic tasks (expiry, reconciliation) when they are due.

    With RQ_REDIS_URL they are queued (once per interval however many schedulers
    run); without it they run here.
    """
    for name, every in tasks.PERIODIC.items():
        click.echo(f"{name}: every {every} s")
    scheduler.run_scheduler(current_app.config, once=once)


@cli.command("run")
@click.argument("name", type=click.Choice(sorted(tasks.PERIODIC)))
def run(name: str) -> None:
    """Run one periodic task now, in this process."""
    click.echo(tasks.run(name))
