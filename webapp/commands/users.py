"""``flask users create|set-role``: accounts by hand (the first admin, staff roles)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Role
from webapp.services import accounts
from webapp.unit_of_work import committing

cli = AppGroup("users", help="Manage user accounts.")


@cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", "display_name", default=None, help="Display name (default: e-mail).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.RESIDENT.value)
def create_user(email: str, password: str, display_name: str | None, role: str) -> None:
    """Create an account with any role."""
    try:
        with committing(db.session):
            user = accounts.register(
                db.session,
                email=email,
                password=password,
                display_name=display_name or email.split("@")[0],
                role=Role(role),
            )
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"created user {user.id} {user.email} ({user.role.value})")


@cli.command("set-role")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
def set_role(email: str, role: str) -> None:
    """Change an account's role (recorded in the audit log)."""
    with committing(db.session):
        user = accounts.find_by_email(db.session, email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        accounts.set_role(db.session, user, Role(role), actor=None)
    click.echo(f"{user.email} is now {user.role.value}")
