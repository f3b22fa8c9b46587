"""Issued certificate PDFs in the shared store (``CERTIFICATE_DIR`` or S3, see
``webapp/services/storage.py``).

Layout: ``<first two id characters>/<PUBLIC_ID>.v<DESIGN_VERSION>.pdf``. The
two-character shard keeps directories small (31² = 961 of them); the design version
in the name lets :meth:`CertificateStore.ensure` tell a current file from one drawn
with an older design without opening it.

Writes are atomic: locally a temporary file in the same directory, ``fsync``,
``os.replace``, then ``fsync`` of the directory, so a crash leaves either the old file or
the new one, never a torn PDF; an S3 PUT is atomic by nature. Every key is built from a
validated public id (31-symbol alphabet, fixed length) and design version, so no input
can escape the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from webapp.services.certificates.context import DESIGN_VERSION_PATTERN
from webapp.services.certificates.ids import is_public_id
from webapp.services.storage import FILE_MODE, LocalStore, Store

__all__ = ["FILE_MODE", "CertificateStore", "StoredFile"]
_SUFFIX = ".pdf"


@dataclass(frozen=True)
class StoredFile:
    """A stored certificate: its key in the store, its local path (a local store only),
    its SHA-256 (hex) and size in bytes."""

    key: str
    path: Path | None
    sha256: str
    size: int


class CertificateStore:
    """PDF files keyed by public id and design version."""

    def __init__(self, store: Store | Path | str) -> None:
        self.blobs: Store = LocalStore(store) if isinstance(store, (str, Path)) else store

    @property
    def directory(self) -> Path | None:
        """The local folder of the store (None in object storage)."""
        return getattr(self.blobs, "directory", None)

    def key_for(self, public_id: str, design_version: str) -> str:
        """The certificate's key in the store; ``ValueError`` on bad input."""
        _check(public_id, design_version)
        return f"{public_id[:2]}/{public_id}.v{design_version}{_SUFFIX}"

    def path_for(self, public_id: str, design_version: str) -> Path | None:
        """Where the certificate is (or would be) on disk; None in object storage."""
        return self.blobs.local_path(self.key_for(public_id, design_version))

    def exists(self, public_id: str, design_version: str) -> bool:
        return self.blobs.exists(self.key_for(public_id, design_version))

    def read(self, public_id: str, design_version: str) -> bytes:
        """The stored PDF; ``FileNotFoundError`` if there is none."""
        return self.blobs.get(self.key_for(public_id, design_version))

    def read_stored(self, stored: StoredFile) -> bytes:
        return self.blobs.get(stored.key)

    def describe(self, public_id: str, design_version: str) -> StoredFile:
        """Hash and size of the stored PDF; ``FileNotFoundError`` if there is none."""
        key = self.key_for(public_id, design_version)
        data = self.blobs.get(key)
        return self._stored(key, data)

    def _stored(self, key: str, data: bytes) -> StoredFile:
        return StoredFile(
            key=key,
            path=self.blobs.local_path(key),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )

    def write_atomic(self, public_id: str, design_version: str, pdf_bytes: bytes) -> StoredFile:
        """Store ``pdf_bytes`` atomically, replacing any file for the same version."""
        key = self.key_for(public_id, design_version)
        if not isinstance(pdf_bytes, bytes) or not pdf_bytes.startswith(b"%PDF-"):
            raise ValueError("refusing to store something that is not a PDF")
        self.blobs.put(key, pdf_bytes)
        return self._stored(key, pdf_bytes)

    def ensure(
        self, public_id: str, design_version: str, render: Callable[[], bytes]
    ) -> StoredFile:
        """The stored PDF, rendering it only if it is missing for this design version.

        Downloads of an issued certificate therefore never re-render. After a new
        design is written, files of older designs for the same id are removed.
        """
        if self.exists(public_id, design_version):
            return self.describe(public_id, design_version)
        stored = self.write_atomic(public_id, design_version, render())
        self._remove_versions(public_id, keep=stored.key)
        return stored

    def discard(self, public_id: str) -> int:
        """Remove every stored version (e.g. on revocation, so the next download
        renders the revoked design). Returns how many files were removed."""
        if not is_public_id(public_id):
            raise ValueError(f"invalid public id {public_id!r}")
        return self._remove_versions(public_id, keep=None)

    def _remove_versions(self, public_id: str, keep: str | None) -> int:
        removed = 0
        # The id is 10 characters of [2-9A-HJKMNP-Z]: a plain prefix.
        for key in self.blobs.keys(f"{public_id[:2]}/{public_id}.v"):
            if key != keep and key.endswith(_SUFFIX) and self.blobs.delete(key):
                removed += 1
        return removed


def _check(public_id: str, design_version: str) -> None:
    if not is_public_id(public_id):
        raise ValueError(f"invalid public id {public_id!r}")
    if not isinstance(design_version, str) or not DESIGN_VERSION_PATTERN.fullmatch(design_version):
        raise ValueError(f"invalid design version {design_version!r}")
