"""Flask commands: `flask --app wsgi <command>`."""

from __future__ import annotations

import click
from flask import Flask

from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Role


def register_commands(app: Flask) -> None:
    @app.cli.group("users")
    def users() -> None:
        """Manage user accounts."""

    @users.command("create")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--name", "display_name", default=None, help="Display name (default: e-mail).")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.RESIDENT.value)
    def create_user(email: str, password: str, display_name: str | None, role: str) -> None:
        """Create an account with any role."""
        from webapp.services import accounts

        try:
            user = accounts.register(
                db.session,
                email=email,
                password=password,
                display_name=display_name or email.split("@")[0],
                role=Role(role),
            )
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc.message)) from exc
        db.session.commit()
        click.echo(f"created user {user.id} {user.email} ({user.role.value})")

    @users.command("set-role")
    @click.option("--email", required=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    def set_role(email: str, role: str) -> None:
        """Change an account's role (recorded in the audit log)."""
        from webapp.services import accounts

        user = accounts.find_by_email(db.session, email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        accounts.set_role(db.session, user, Role(role), actor=None)
        db.session.commit()
        click.echo(f"{user.email} is now {user.role.value}")

    @app.cli.group("registry")
    def registry() -> None:
        """Check and maintain the sink registry."""

    @registry.command("verify")
    def registry_verify() -> None:
        """Recompute every ledger hash, Merkle root and signed head; check all counters.

        Exits non-zero and names the first entry that does not match.
        """
        from webapp.services import keys
        from webapp.services.registry import ledger, queries

        _key, keyring = keys.signing(app.config)
        report = ledger.verify(db.session, keyring)
        problems = list(report.problems)
        if report.ok:
            problems += queries.counter_mismatches(db.session)
        db.session.rollback()
        if problems:
            for problem in problems:
                click.echo(f"MISMATCH: {problem}", err=True)
            if report.first_bad_seq is not None:
                click.echo(f"first entry that does not match: {report.first_bad_seq}", err=True)
            raise SystemExit(1)
        click.echo(
            f"registry ok: {report.entries} entries, {report.tree_heads} signed tree "
            f"heads, counters agree with the ledger"
        )

    @registry.command("publish-head")
    def registry_publish_head() -> None:
        """Sign and keep the tree head for the current ledger size (once per size).

        Writes through the app publish their head as they commit, and the
        ``publish_tree_head`` periodic task does this every minute: this is for scripts."""
        from webapp.services import keys
        from webapp.services.registry import published

        key, _ = keys.signing(app.config)
        sth = published.publish(db.session, key)
        db.session.commit()
        click.echo(f"tree head: size {sth['tree_size']} root {sth['root_hash']}")

    @registry.command("expire")
    def registry_expire() -> None:
        """Release reservations whose hold has lapsed."""
        from webapp.services.registry import allocation

        released = allocation.expire_due(db.session)
        db.session.commit()
        click.echo(f"released {len(released)} expired reservations")

    from webapp.cli_certificates import register_certificate_commands
    from webapp.cli_tasks import register_task_commands

    register_certificate_commands(app)
    register_task_commands(app)

    @app.cli.command("demo-data")
    def demo_data() -> None:
        """Load demonstration content idempotently and print the demo accounts."""
        from webapp.services import demo

        report = demo.load(db.session)
        from webapp.services import keys
        from webapp.services.plots import demo as plots_demo

        key = keys.signing(app.config)[0]
        certificate = demo.load_certificate(db.session, key, report)
        plot_certificates = plots_demo.load_certificates(db.session, key, report)
        db.session.commit()
        click.echo(f"demo data: {report.created} created, {report.existing} already present")
        click.echo("demo accounts (development only):")
        for email, password, role in demo.DEMO_ACCOUNTS:
            click.echo(f"  {role:<10} {email:<28} {password}")
        if certificate is not None:
            verify_url = f"{app.config['BASE_URL'].rstrip('/')}/v/{certificate.public_id}"
            click.echo(f"demo certificate (open it, or scan the QR code of its PDF): {verify_url}")
            pdf = demo.render_certificate(db.session, app.config, certificate)
            if pdf is not None:
                click.echo(f"  its PDF: {pdf}")
        if plot_certificates:
            click.echo(f"demo plot certificates issued: {len(plot_certificates)}")
