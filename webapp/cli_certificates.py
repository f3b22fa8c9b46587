"""`flask --app wsgi certificates …`: list, export PDFs, run bulk jobs and their worker."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask import Flask

from webapp.extensions import db
from webapp.models import CertificateStatus
from webapp.services.certificates.token import CertificateKind


def _quantity(certificate) -> str:
    if certificate.quantity_kg is not None:
        return f"{format((Decimal(certificate.quantity_kg) / 1000).normalize(), 'f')} t"
    return certificate.plot_code or "-"


def register_certificate_commands(app: Flask) -> None:
    @app.cli.group("certificates")
    def certificates() -> None:
        """Issued certificates: list them, export PDFs, run bulk-issue jobs."""

    @certificates.command("list")
    @click.option("--status", type=click.Choice([s.value for s in CertificateStatus]))
    @click.option("--kind", type=click.Choice([k.value for k in CertificateKind]))
    def list_certificates(status: str | None, kind: str | None) -> None:
        """Print public id, kind, status, quantity or plot, public holder and issue date."""
        from webapp.services.certificates import queries

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

    @certificates.command("export")
    @click.argument("public_id")
    @click.argument("path", type=click.Path(path_type=Path))
    def export_certificate(public_id: str, path: Path) -> None:
        """Write the certificate's PDF to PATH (a file, or a directory), rendering if needed."""
        from webapp.services.certificates import documents, queries

        certificate = queries.by_public_id(db.session, public_id)
        if certificate is None:
            raise click.ClickException(f"no certificate {public_id}")
        try:
            stored = documents.ensure_pdf(db.session, certificate, app.config)
        except documents.UnsupportedKindError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        target = path / documents.download_name(certificate) if path.is_dir() else path
        name = certificate.public_id
        db.session.commit()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(documents.certificate_store(app.config).read_stored(stored))
        click.echo(f"{name}: wrote {target} ({stored.size} bytes, sha256 {stored.sha256})")

    @certificates.command("run-batch")
    @click.argument("batch_id", type=int)
    def run_batch(batch_id: int) -> None:
        """Render a bulk issue's PDFs and ZIP now (e.g. again after a failure)."""
        from webapp.services.certificates import jobs

        try:
            batch = jobs.run_batch(db.session, batch_id, app.config)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"batch {batch.id}: {batch.status.value}, {batch.done}/{batch.total} PDFs")

    @certificates.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker(burst: bool) -> None:
        """Run bulk-issue jobs from RQ_REDIS_URL (one process; the renderer stays warm)."""
        from rq import SimpleWorker

        from webapp.services.certificates import jobs

        queue = jobs.queue(app.config)
        if queue is None:
            raise click.ClickException("RQ_REDIS_URL is not set: jobs run in the web process")
        SimpleWorker([queue], connection=queue.connection).work(burst=burst)
