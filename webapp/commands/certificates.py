"""``flask certificates list|export|run-batch|worker``: issued certificates and bulk jobs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.background import batches
from webapp.background.queue import CERTIFICATES_QUEUE, queue
from webapp.extensions import db
from webapp.models import CertificateKind, CertificateStatus
from webapp.services.certificates import documents, queries
from webapp.unit_of_work import committing

cli = AppGroup("certificates", help="Issued certificates: list them, export PDFs, run bulk jobs.")


def _quantity(certificate) -> str:
    if certificate.quantity_kg is not None:
        return f"{format((Decimal(certificate.quantity_kg) / 1000).normalize(), 'f')} t"
    return certificate.plot_code or "-"


@cli.command("list")
@click.option("--status", type=click.Choice([s.value for s in CertificateStatus]))
@click.option("--kind", type=click.Choice([k.value for k in CertificateKind]))
def list_certificates(status: str | None, kind: str | None) -> None:
    """Print public id, kind, status, quantity or plot, public holder and issue date."""
    click.echo("public_id\tkind\tstatus\tquantity\tholder_public\tissued_on")
    count = 0
    for c in queries.iter_all(
        db.session,
        status=CertificateStatus(status) if status else None,
        kind=CertificateKind(kind) if kind else None,
    ):
        holder = c.holder_public if c.holder_public else "(anonymous)"
        click.echo(
            f"{c.public_id}\t{c.kind.value}\t{c.status.value}\t{_quantity(c)}\t"
            f"{holder}\t{c.issued_on.isoformat()}"
        )
        count += 1
    db.session.rollback()
    click.echo(f"{count} certificates", err=True)


@cli.command("export")
@click.argument("public_id")
@click.argument("path", type=click.Path(path_type=Path))
def export_certificate(public_id: str, path: Path) -> None:
    """Write the certificate's PDF to PATH (a file, or a directory), rendering if needed."""
    config = current_app.config
    try:
        with committing(db.session):
            certificate = queries.by_public_id(db.session, public_id)
            if certificate is None:
                raise click.ClickException(f"no certificate {public_id}")
            stored = documents.ensure_pdf(db.session, certificate, config)
            target = path / documents.download_name(certificate) if path.is_dir() else path
            name = certificate.public_id
    except documents.UnsupportedKindError as exc:
        raise click.ClickException(str(exc)) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(documents.certificate_store(config).read_stored(stored))
    click.echo(f"{name}: wrote {target} ({stored.size} bytes, sha256 {stored.sha256})")


@cli.command("run-batch")
@click.argument("batch_id", type=int)
def run_batch(batch_id: int) -> None:
    """Render a bulk issue's PDFs and ZIP now (e.g. again after a failure)."""
    try:
        batch = batches.run_batch(db.session, batch_id, current_app.config)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"batch {batch.id}: {batch.status.value}, {batch.done}/{batch.total} PDFs")


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run bulk-issue jobs from RQ_REDIS_URL (one process; the renderer stays warm)."""
    from rq import SimpleWorker

    certificates_queue = queue(current_app.config, CERTIFICATES_QUEUE)
    if certificates_queue is None:
        raise click.ClickException("RQ_REDIS_URL is not set: jobs run in the web process")
    SimpleWorker([certificates_queue], connection=certificates_queue.connection).work(burst=burst)
