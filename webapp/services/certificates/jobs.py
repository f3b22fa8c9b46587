"""The background job of a bulk issue: render every personal PDF, then pack one ZIP.

Where it runs:

* **RQ on Redis** when ``RQ_REDIS_URL`` is configured: the job is queued on the
  ``certificates`` queue and a worker runs it (``flask --app wsgi certificates worker``,
  which keeps one warm renderer per process).
* **In-process** otherwise (the embedded default): a background thread of the web
  process, started after the batch was committed.

The job is idempotent and can be run again (``flask certificates run-batch <id>``):
PDFs that exist are not rendered again, and the ZIP is rewritten atomically. It commits
its progress after every PDF, and holds no transaction while rendering, so it never
blocks other writers (SQLite takes its write lock at BEGIN).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.models import Certificate
from webapp.models.base import utcnow
from webapp.models.certificate_batches import BatchStatus, CertificateBatch
from webapp.services import csv_export, storage
from webapp.services.certificates import documents
from webapp.services.certificates.storage import CertificateStore
from webapp.tasks import worker_app

log = logging.getLogger(__name__)

QUEUE_NAME = "certificates"
JOB_TIMEOUT = 4 * 3600  # 2,000 renders at ~0.3 s need ~10 minutes; leave room
_SAFE = re.compile(r"[^\w\u3400-\u9fff -]+")
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def batch_certificates(session: Session, batch: CertificateBatch) -> list[Certificate]:
    """The batch's personal certificates, in upload order."""
    return list(
        session.scalars(
            select(Certificate)
            .where(
                Certificate.parent_id == batch.parent_id,
                Certificate.id >= batch.first_certificate_id,
                Certificate.id <= batch.last_certificate_id,
            )
            .order_by(Certificate.id)
        )
    )


def zip_relative_path(batch_id: int) -> str:
    return f"batches/tanhui-batch-{batch_id}.zip"


def zip_file(config: Mapping[str, Any], batch: CertificateBatch) -> Path | None:
    """The batch's ZIP on local disk, when the job has written it (None in object storage)."""
    if not batch.zip_path:
        return None
    path = storage.from_config(config, "certificates").local_path(batch.zip_path)
    return path if path is not None and path.is_file() else None


def zip_bytes(config: Mapping[str, Any], batch: CertificateBatch) -> bytes | None:
    """The batch's ZIP from the store, wherever it is; None when not written."""
    if not batch.zip_path:
        return None
    try:
        return storage.from_config(config, "certificates").get(batch.zip_path)
    except FileNotFoundError:
        return None


def _member_name(number: int, name: str, public_id: str) -> str:
    safe = _SAFE.sub("_", name).strip(" _") or "certificate"
    return f"{number:04d}-{safe[:40]}-{public_id}.pdf"


def _write_zip(
    config: Mapping[str, Any], batch_id: int, members: list[dict[str, Any]]
) -> tuple[str, int]:
    """Write the ZIP atomically into the store; its SHA-256 and size.

    Built in a temporary file (2,000 PDFs are ~80 MB), then stored: locally by rename in
    the same directory, in object storage by one PUT.
    """
    store = storage.from_config(config, "certificates")
    pdfs = CertificateStore(store)
    key = zip_relative_path(batch_id)
    target = store.local_path(key)
    folder = target.parent if target is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".batch-{batch_id}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w") as archive:
                manifest = io.StringIO()
                writer = csv_export.writer(manifest)
                writer.writerow(["number", "name", "kg", "public_id", "verify_url", "file"])
                for item in members:
                    # PDFs are compressed already: store them as they are.
                    archive.writestr(
                        item["file"],
                        pdfs.read_stored(item["stored"]),
                        compress_type=zipfile.ZIP_STORED,
                    )
                    writer.writerow(
                        [
                            item["number"],
                            item["name"],
                            item["kg"],
                            item["public_id"],
                            item["verify_url"],
                            item["file"],
                        ]
                    )
                archive.writestr(
                    "manifest.csv",
                    "\ufeff" + manifest.getvalue(),  # BOM: Excel then reads UTF-8
                    compress_type=zipfile.ZIP_DEFLATED,
                )
            handle.flush()
            os.fsync(handle.fileno())
        digest, size = _sha256(tmp), tmp.stat().st_size
        if target is not None:
            os.replace(tmp, target)
        else:
            store.put(key, tmp.read_bytes())
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return digest, size


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _zip_exists(config: Mapping[str, Any], batch: CertificateBatch) -> bool:
    return bool(batch.zip_path) and storage.from_config(config, "certificates").exists(
        batch.zip_path
    )


def run_batch(session: Session, batch_id: int, config: Mapping[str, Any]) -> CertificateBatch:
    """Render the batch's PDFs and write its ZIP. Commits its progress as it goes."""
    batch = session.get(CertificateBatch, batch_id)
    if batch is None:
        raise LookupError(f"no certificate batch {batch_id}")
    if batch.status is BatchStatus.DONE and _zip_exists(config, batch):
        return batch
    batch.status = BatchStatus.RUNNING
    batch.started_at = batch.started_at or utcnow()
    batch.error = None
    session.commit()
    try:
        ids = [c.id for c in batch_certificates(session, batch)]
        total = len(ids)
        if total != batch.total:
            raise RuntimeError(
                f"batch {batch_id} expects {batch.total} certificates, found {total}"
            )
        session.commit()  # end the read: no transaction is held while rendering
        members = []
        base_url = str(config["BASE_URL"]).rstrip("/")
        for number, certificate_id in enumerate(ids, start=1):
            certificate = session.get(Certificate, certificate_id)
            plan = documents.plan_pdf(session, certificate, config)
            name, kg = certificate.holder_name, certificate.quantity_kg
            session.commit()  # nothing written: ends the read before rendering
            stored = documents.write_pdf(plan, config)
            if plan.needs_record(stored):
                documents.record(session.get(Certificate, certificate_id), stored)
            members.append(
                {
                    "number": number,
                    "name": name,
                    "kg": kg,
                    "public_id": plan.public_id,
                    "verify_url": f"{base_url}/v/{plan.public_id}",
                    "file": _member_name(number, name, plan.public_id),
                    "stored": stored,
                }
            )
            session.execute(
                update(CertificateBatch)
                .where(CertificateBatch.id == batch_id)
                .values(done=number)
                .execution_options(synchronize_session=False)
            )
            session.commit()
        digest, size = _write_zip(config, batch_id, members)
        batch = session.get(CertificateBatch, batch_id)
        batch.zip_path = zip_relative_path(batch_id)
        batch.zip_sha256 = digest
        batch.zip_size = size
        batch.done = batch.total
        batch.status = BatchStatus.DONE
        batch.finished_at = utcnow()
        session.commit()
        return batch
    except Exception as exc:
        session.rollback()
        log.exception("certificate batch %s failed", batch_id)
        failed = session.get(CertificateBatch, batch_id)
        failed.status = BatchStatus.FAILED
        failed.error = f"{type(exc).__name__}: {exc}"[:200]
        failed.finished_at = utcnow()
        session.commit()
        raise


# ---- dispatch -----------------------------------------------------------------------


def run_batch_job(batch_id: int) -> str:
    """RQ entry point (``webapp.services.certificates.jobs.run_batch_job``)."""
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


def queue(config: Mapping[str, Any]):
    """The RQ queue for certificate jobs, or None when no broker is configured."""
    url = config.get("RQ_REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(url))


def start(app: Flask, session: Session, batch: CertificateBatch) -> str:
    """Start the committed batch's job: ``"rq"`` (queued) or ``"thread"`` (in-process)."""
    rq_queue = queue(app.config)
    if rq_queue is not None:
        try:
            job = rq_queue.enqueue(
                "webapp.services.certificates.jobs.run_batch_job",
                batch.id,
                job_timeout=JOB_TIMEOUT,
                result_ttl=86400,
                failure_ttl=7 * 86400,
                description=f"certificate batch {batch.id}",
            )
        except Exception:
            log.exception("could not queue certificate batch %s; running it in-process", batch.id)
        else:
            batch.job_id = job.id
            session.commit()
            return "rq"
        finally:
            rq_queue.connection.close()
    thread = threading.Thread(
        target=_run_in_thread,
        args=(app, batch.id),
        name=f"certificate-batch-{batch.id}",
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
