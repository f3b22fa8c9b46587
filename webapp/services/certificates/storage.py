"""Issued certificate PDFs on disk (``CERTIFICATE_DIR``).

Layout: ``<directory>/<first two id characters>/<PUBLIC_ID>.v<DESIGN_VERSION>.pdf``. The
two-character shard keeps directories small (31² = 961 of them); the design version
in the name lets :meth:`CertificateStore.ensure` tell a current file from one drawn
with an older design without opening it.

Writes are atomic: a temporary file in the same directory, ``fsync``, ``os.replace``,
then ``fsync`` of the directory, so a crash leaves either the old file or the new
one, never a torn PDF. Every path is built from a validated public id (31-symbol
alphabet, fixed length) and design version, so no input can escape the directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from webapp.services.certificates.context import DESIGN_VERSION_PATTERN
from webapp.services.certificates.ids import is_public_id

# Owner read/write, group read: the app writes, a front server in the group may send.
FILE_MODE = 0o640
_SUFFIX = ".pdf"


@dataclass(frozen=True)
class StoredFile:
    """A stored certificate: where it is, its SHA-256 (hex) and size in bytes."""

    path: Path
    sha256: str
    size: int


class CertificateStore:
    """PDF files keyed by public id and design version."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path_for(self, public_id: str, design_version: str) -> Path:
        """Where the certificate is (or would be) stored; ``ValueError`` on bad input."""
        _check(public_id, design_version)
        return self._shard(public_id) / f"{public_id}.v{design_version}{_SUFFIX}"

    def exists(self, public_id: str, design_version: str) -> bool:
        return self.path_for(public_id, design_version).is_file()

    def read(self, public_id: str, design_version: str) -> bytes:
        """The stored PDF; ``FileNotFoundError`` if there is none."""
        return self.path_for(public_id, design_version).read_bytes()

    def describe(self, public_id: str, design_version: str) -> StoredFile:
        """Hash and size of the stored PDF; ``FileNotFoundError`` if there is none."""
        path = self.path_for(public_id, design_version)
        data = path.read_bytes()
        return StoredFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    def write_atomic(self, public_id: str, design_version: str, pdf_bytes: bytes) -> StoredFile:
        """Store ``pdf_bytes`` atomically, replacing any file for the same version."""
        path = self.path_for(public_id, design_version)
        if not isinstance(pdf_bytes, bytes) or not pdf_bytes.startswith(b"%PDF-"):
            raise ValueError("refusing to store something that is not a PDF")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{public_id}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pdf_bytes)
                handle.flush()
                os.fchmod(handle.fileno(), FILE_MODE)
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_directory(path.parent)
        return StoredFile(
            path=path, sha256=hashlib.sha256(pdf_bytes).hexdigest(), size=len(pdf_bytes)
        )

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
        self._remove_versions(public_id, keep=stored.path)
        return stored

    def discard(self, public_id: str) -> int:
        """Remove every stored version (e.g. on revocation, so the next download
        renders the revoked design). Returns how many files were removed."""
        if not is_public_id(public_id):
            raise ValueError(f"invalid public id {public_id!r}")
        return self._remove_versions(public_id, keep=None)

    def _shard(self, public_id: str) -> Path:
        return self.directory / public_id[:2]

    def _remove_versions(self, public_id: str, keep: Path | None) -> int:
        removed = 0
        shard = self._shard(public_id)
        # The id is 10 characters of [2-9A-HJKMNP-Z]: no glob metacharacters.
        for path in shard.glob(f"{public_id}.v*{_SUFFIX}"):
            if path != keep:
                with contextlib.suppress(FileNotFoundError):  # a concurrent cleanup won
                    path.unlink()
                    removed += 1
        if removed:
            _fsync_directory(shard)
        return removed


def _check(public_id: str, design_version: str) -> None:
    if not is_public_id(public_id):
        raise ValueError(f"invalid public id {public_id!r}")
    if not isinstance(design_version, str) or not DESIGN_VERSION_PATTERN.fullmatch(design_version):
        raise ValueError(f"invalid design version {design_version!r}")


def _fsync_directory(directory: Path) -> None:
    """Make a rename or unlink durable (POSIX: the directory entry must be synced)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
