"""``flask registry verify|publish-head|expire``: check and maintain the sink registry."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import tasks
from webapp.extensions import db
from webapp.services import keys
from webapp.services.registry import audit_check, published
from webapp.unit_of_work import committing

cli = AppGroup("registry", help="Check and maintain the sink registry.")


@cli.command("verify")
def registry_verify() -> None:
    """Prove the public register from the ledger: every hash, the chain, Merkle roots and
    signed heads; then counters, serial ranges, allocations, certificates and plots
    against their ledger entries.

    Exits 1 and names the table, the row and the ledger entry that do not match.
    """
    _key, keyring = keys.signing(current_app.config)
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        # Both passes read one snapshot, so concurrent writes cannot look like tampering.
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    report = audit_check.verify_registry(db.session, keyring)
    db.session.rollback()
    if not report.ok:
        for problem in report.problems:
            click.echo(f"MISMATCH: {problem}", err=True)
        if report.more:
            click.echo(f"... and {report.more} more mismatches", err=True)
        if report.first_bad_seq is not None:
            click.echo(f"first entry that does not match: {report.first_bad_seq}", err=True)
        raise SystemExit(1)
    click.echo(
        f"registry ok: {report.entries} entries, {report.tree_heads} signed tree "
        f"heads, counters agree with the ledger; {report.allocations} allocations, "
        f"{report.certificates} certificates, {report.plots} sponsored plots and "
        f"{report.issuances} issuances match their entries"
    )


@cli.command("publish-head")
def registry_publish_head() -> None:
    """Sign and keep the tree head for the current ledger size (once per size).

    Writes through the app publish their head as they commit, and the
    ``publish_tree_head`` periodic task does this every minute: this is for scripts."""
    key, _ = keys.signing(current_app.config)
    with committing(db.session):
        sth = published.publish(db.session, key)
    click.echo(f"tree head: size {sth['tree_size']} root {sth['root_hash']}")


@cli.command("expire")
def registry_expire() -> None:
    """Release reservations whose hold has lapsed (the ``expire_reservations`` task)."""
    click.echo(tasks.expire_reservations(db.session, current_app.config))
