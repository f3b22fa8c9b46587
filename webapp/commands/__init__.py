"""Flask commands (``flask --app wsgi <group> <command>``), one module per domain.

Every module has the same shape: a ``cli`` :class:`flask.cli.AppGroup` (or a single
command) whose commands are boundaries like views — they parse arguments, call services
and commit through :func:`webapp.unit_of_work.committing`. :data:`COMMANDS` is the one
list the app factory registers.
"""

from __future__ import annotations

from flask import Flask

from webapp.background import cli as background_cli
from webapp.commands import certificates, demo, payments, planting, plots, registry, users

COMMANDS = (
    users.cli,
    registry.cli,
    certificates.cli,
    plots.cli,
    planting.cli,
    payments.cli,
    demo.cli,
    background_cli.cli,
)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
