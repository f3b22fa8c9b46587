"""`flask --app wsgi tasks …`: the RQ worker, the periodic scheduler, one task by hand."""

from __future__ import annotations

import click
from flask import Flask

from webapp import tasks


def register_task_commands(app: Flask) -> None:
    @app.cli.group("tasks")
    def group() -> None:
        """Background tasks: worker, scheduler, run one now."""

    @group.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    def worker(burst: bool) -> None:
        """Run queued tasks (default + certificates queues) from RQ_REDIS_URL.

        A SimpleWorker: jobs run in this process, so the PDF renderer stays warm.
        """
        from rq import Queue, SimpleWorker

        connection = tasks.queue(app.config)
        if connection is None:
            raise click.ClickException("RQ_REDIS_URL is not set: tasks run in the web process")
        queues = [Queue(name, connection=connection.connection) for name in tasks.QUEUES]
        SimpleWorker(queues, connection=connection.connection).work(
            burst=burst, with_scheduler=True
        )

    @group.command("scheduler")
    @click.option("--once", is_flag=True, help="One round of the periodic tasks, then stop.")
    def scheduler(once: bool) -> None:
        """Start the periodic tasks (expiry, reconciliation) when they are due.

        With RQ_REDIS_URL they are queued (once per interval however many schedulers
        run); without it they run here.
        """
        for name, every in tasks.PERIODIC.items():
            click.echo(f"{name}: every {every} s")
        tasks.run_scheduler(app.config, once=once)

    @group.command("run")
    @click.argument("name", type=click.Choice(sorted(tasks.PERIODIC)))
    def run(name: str) -> None:
        """Run one periodic task now, in this process."""
        click.echo(tasks.run(name))
