"""``flask demo-data``: demonstration content, loaded idempotently (``make run``)."""

from __future__ import annotations

import logging

import click
from flask import current_app

from webapp.extensions import db
from webapp.services import demo, keys
from webapp.services.certificates import documents
from webapp.services.planting import demo as planting_demo
from webapp.services.plots import demo as plots_demo
from webapp.unit_of_work import committing

log = logging.getLogger(__name__)


@click.command("demo-data")
def cli() -> None:
    """Load demonstration content idempotently and print the demo accounts."""
    config = current_app.config
    key = keys.signing(config)[0]
    with committing(db.session):
        report = demo.load(db.session)
        certificate = demo.load_certificate(db.session, key, report)
        plot_certificates = plots_demo.load_certificates(db.session, key, report)
        planting_demo.load(db.session, key, report)
    click.echo(f"demo data: {report.created} created, {report.existing} already present")
    click.echo("demo accounts (development only):")
    for email, password, role in demo.DEMO_ACCOUNTS:
        click.echo(f"  {role:<10} {email:<28} {password}")
    if certificate is not None:
        verify_url = f"{config['BASE_URL'].rstrip('/')}/v/{certificate.public_id}"
        click.echo(f"demo certificate (open it, or scan the QR code of its PDF): {verify_url}")
        try:
            # Redrawn on every load: its QR code and printed URL must carry this run's base
            # URL (`PORT=5101 make run` after a run on 5000), and it is demonstration data.
            documents.certificate_store(config).discard(certificate.public_id)
            with committing(db.session):
                stored = documents.ensure_pdf(db.session, certificate, config)
        except Exception:
            log.exception("demo certificate not rendered")
        else:
            click.echo(f"  its PDF: {stored.path or stored.key}")
    if plot_certificates:
        click.echo(f"demo plot certificates issued: {len(plot_certificates)}")
