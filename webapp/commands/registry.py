"""``flask registry verify|publish-head|expire``: check and maintain the sink registry."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import tasks
from webapp.extensions import db
from webapp.services import keys
from webapp.services.registry import ledger, queries
from webapp.unit_of_work import committing

cli = AppGroup("registry", help="Check and maintain the sink registry.")


@cli.command("verify")
def registry_verify() -> None:
    """Recompute every ledger hash, Merkle root and signed head; check all counters.

    Exits non-zero and names the first entry that does not match.
    """
    _key, keyring = keys.signing(current_app.config)
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


@cli.command("publish-head")
def registry_publish_head() -> None:
    """Sign and keep the tree head for the current ledger size (run periodically)."""
    key, _ = keys.signing(current_app.config)
    with committing(db.session):
        sth = ledger.publish_tree_head(db.session, key, int(time.time() * 1000))
    click.echo(f"tree head: size {sth['tree_size']} root {sth['root_hash']}")


@cli.command("expire")
def registry_expire() -> None:
    """Release reservations whose hold has lapsed (the ``expire_reservations`` task)."""
    click.echo(tasks.expire_reservations(db.session, current_app.config))
