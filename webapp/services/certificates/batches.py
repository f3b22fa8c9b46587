"""The files of a bulk issue (certificate batch): its certificates in upload order, its
ZIP of personal PDFs with a manifest, and where that ZIP is stored. Pure file and query
work; the job that renders and commits progress is ``webapp/background/batches.py``."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Certificate
from webapp.models.certificate_batches import CertificateBatch
from webapp.services import csv_export, storage
from webapp.services.certificates.storage import CertificateStore

_SAFE = re.compile(r"[^\w\u3400-\u9fff -]+")


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


def member_name(number: int, name: str, public_id: str) -> str:
    safe = _SAFE.sub("_", name).strip(" _") or "certificate"
    return f"{number:04d}-{safe[:40]}-{public_id}.pdf"


def write_zip(
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


def zip_exists(config: Mapping[str, Any], batch: CertificateBatch) -> bool:
    return bool(batch.zip_path) and storage.from_config(config, "certificates").exists(
        batch.zip_path
    )
