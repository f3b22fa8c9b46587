"""The background job of a bulk issue: render every personal PDF, then pack one ZIP.

Where it runs:

* **RQ on Redis** when ``RQ_REDIS_URL`` is configured: the job is queued on the
  ``certificates`` queue and a worker runs it (``flask tasks worker`` or
  ``flask certificates worker``, which keep one warm renderer per process).
* **In-process** otherwise (the embedded default): a background thread of the web
  process, started after the batch was committed.

The job is idempotent and can be run again (``flask certificates run-batch <id>``):
PDFs that exist are not rendered again, and the ZIP is rewritten atomically. It is a
runner, so it commits — one unit of work per step — and holds no transaction while
rendering, so it never blocks other writers (SQLite takes its write lock at BEGIN).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from webapp.background.queue import CERTIFICATES_QUEUE, enqueue, worker_app
from webapp.models import Certificate
from webapp.models.base import utcnow
from webapp.models.certificate_batches import BatchStatus, CertificateBatch
from webapp.services.certificates import batches, documents
from webapp.unit_of_work import committing

log = logging.getLogger(__name__)

JOB_TIMEOUT = 4 * 3600  # 2,000 renders at ~0.3 s need ~10 minutes; leave room
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def run_batch(session: Session, batch_id: int, config: Mapping[str, Any]) -> CertificateBatch:
    """Render the batch's PDFs and write its ZIP, committing its progress step by step."""
    batch = session.get(CertificateBatch, batch_id)
    if batch is None:
        raise LookupError(f"no certificate batch {batch_id}")
    if batch.status is BatchStatus.DONE and batches.zip_exists(config, batch):
        return batch
    try:
        with committing(session):
            batch.status = BatchStatus.RUNNING
            batch.started_at = batch.started_at or utcnow()
            batch.error = None
        # A read-only unit: it ends the read, so no transaction is held while rendering.
        with committing(session):
            ids = [c.id for c in batches.batch_certificates(session, batch)]
            total = len(ids)
        if total != batch.total:
            raise RuntimeError(
                f"batch {batch_id} expects {batch.total} certificates, found {total}"
            )
        members = []
        base_url = str(config["BASE_URL"]).rstrip("/")
        for number, certificate_id in enumerate(ids, start=1):
            with committing(session):  # nothing written: ends the read before rendering
                certificate = session.get(Certificate, certificate_id)
                plan = documents.plan_pdf(session, certificate, config)
                name, kg = certificate.holder_name, certificate.quantity_kg
            stored = documents.write_pdf(plan, config)
            with committing(session):
                if plan.needs_record(stored):
                    documents.record(session.get(Certificate, certificate_id), stored)
                session.execute(
                    update(CertificateBatch)
                    .where(CertificateBatch.id == batch_id)
                    .values(done=number)
                    .execution_options(synchronize_session=False)
                )
            members.append(
                {
                    "number": number,
                    "name": name,
                    "kg": kg,
                    "public_id": plan.public_id,
                    "verify_url": f"{base_url}/v/{plan.public_id}",
                    "file": batches.member_name(number, name, plan.public_id),
                    "stored": stored,
                }
            )
        digest, size = batches.write_zip(config, batch_id, members)
        with committing(session):
            batch = session.get(CertificateBatch, batch_id)
            batch.zip_path = batches.zip_relative_path(batch_id)
            batch.zip_sha256 = digest
            batch.zip_size = size
            batch.done = batch.total
            batch.status = BatchStatus.DONE
            batch.finished_at = utcnow()
        return batch
    except Exception as exc:
        log.exception("certificate batch %s failed", batch_id)
        with committing(session):
            failed = session.get(CertificateBatch, batch_id)
            failed.status = BatchStatus.FAILED
            failed.error = f"{type(exc).__name__}: {exc}"[:200]
            failed.finished_at = utcnow()
        raise


# ---- dispatch -----------------------------------------------------------------------


def run_batch_job(batch_id: int) -> str:
    """RQ entry point (``webapp.background.batches.run_batch_job``)."""
    from webapp.extensions import db

    app = worker_app()
    with app.app_context():  # a fresh context: its own database session
        try:
            batch = run_batch(db.session, batch_id, app.config)
            return batch.status.value
        finally:
            db.session.remove()


def _run_in_thread(app: Flask, batch_id: int) -> None:
    from webapp.extensions import db

    with app.app_context():
        try:
            run_batch(db.session, batch_id, app.config)
        except Exception:  # noqa: S110 - logged and recorded on the batch by run_batch
            pass
        finally:
            db.session.remove()


def start(app: Flask, session: Session, batch_id: int) -> str:
    """Start a committed batch's job: ``"rq"`` (queued) or ``"thread"`` (in-process)."""
    job = enqueue(
        app.config,
        CERTIFICATES_QUEUE,
        "webapp.background.batches.run_batch_job",
        batch_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=86400,
        failure_ttl=7 * 86400,
        description=f"certificate batch {batch_id}",
    )
    if job is not None:
        with committing(session, app):
            session.get(CertificateBatch, batch_id).job_id = job.id
        return "rq"
    thread = threading.Thread(
        target=_run_in_thread,
        args=(app, batch_id),
        name=f"certificate-batch-{batch_id}",
        daemon=True,
    )
    with _threads_lock:
        _threads.difference_update({t for t in _threads if not t.is_alive()})
        _threads.add(thread)
    thread.start()
    return "thread"


def wait_for_threads(timeout: float | None = None) -> bool:
    """Wait for in-process jobs to finish (tests, shutdown); True if all finished."""
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(timeout)
    return not any(t.is_alive() for t in threads)
