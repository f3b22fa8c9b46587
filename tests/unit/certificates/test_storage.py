"""Certificate storage: atomic writes, hashes, render-once, design versions, safe paths."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from webapp.services.certificates.storage import FILE_MODE, CertificateStore, StoredFile

PID = "7K3MPQ9XRT"
PDF = b"%PDF-1.7\n% test certificate\n%%EOF\n"


@pytest.fixture
def store(tmp_path: Path) -> CertificateStore:
    return CertificateStore(tmp_path / "certificates")


class Renderer:
    def __init__(self, data: bytes = PDF) -> None:
        self.data = data
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.data


def test_write_atomic_records_hash_and_size(store: CertificateStore) -> None:
    stored = store.write_atomic(PID, "2026.1", PDF)
    assert stored == StoredFile(
        key=f"7K/{PID}.v2026.1.pdf",
        path=store.directory / "7K" / f"{PID}.v2026.1.pdf",
        sha256=hashlib.sha256(PDF).hexdigest(),
        size=len(PDF),
    )
    assert stored.path.read_bytes() == PDF
    assert store.read(PID, "2026.1") == PDF
    assert store.describe(PID, "2026.1") == stored
    assert stat.S_IMODE(stored.path.stat().st_mode) == FILE_MODE
    assert [p.name for p in stored.path.parent.iterdir()] == [stored.path.name]  # no temp left


def test_write_atomic_replaces_through_a_rename(store: CertificateStore, monkeypatch) -> None:
    store.write_atomic(PID, "1", PDF)
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        assert Path(src).parent == Path(dst).parent  # same directory: atomic rename
        assert Path(src).read_bytes() == PDF + b"2"  # complete before it becomes visible
        assert Path(dst).read_bytes() == PDF  # old version intact until the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store.write_atomic(PID, "1", PDF + b"2")
    assert len(calls) == 1 and store.read(PID, "1") == PDF + b"2"


def test_failed_write_leaves_old_file_and_no_temp(store: CertificateStore, monkeypatch) -> None:
    store.write_atomic(PID, "1", PDF)

    def fail(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        store.write_atomic(PID, "1", PDF + b"new")
    monkeypatch.undo()
    assert store.read(PID, "1") == PDF
    assert [p.name for p in (store.directory / "7K").iterdir()] == [f"{PID}.v1.pdf"]


def test_refuses_non_pdf_bytes(store: CertificateStore) -> None:
    with pytest.raises(ValueError, match="not a PDF"):
        store.write_atomic(PID, "1", b"<html>")


def test_ensure_renders_once(store: CertificateStore) -> None:
    render = Renderer()
    first = store.ensure(PID, "2026.1", render)
    second = store.ensure(PID, "2026.1", render)
    assert render.calls == 1
    assert first == second and first.sha256 == hashlib.sha256(PDF).hexdigest()


def test_ensure_rerenders_for_a_new_design_and_drops_the_old(store: CertificateStore) -> None:
    old = store.ensure(PID, "2026.1", Renderer(PDF))
    render = Renderer(PDF + b"v2")
    new = store.ensure(PID, "2026.2", render)
    assert render.calls == 1
    assert new.path.name == f"{PID}.v2026.2.pdf" and new.path.read_bytes() == PDF + b"v2"
    assert not old.path.exists()
    assert not store.exists(PID, "2026.1") and store.exists(PID, "2026.2")


def test_ensure_rerenders_a_missing_file(store: CertificateStore) -> None:
    stored = store.ensure(PID, "1", Renderer())
    stored.path.unlink()
    render = Renderer()
    store.ensure(PID, "1", render)
    assert render.calls == 1


def test_ensure_does_not_store_a_failed_render(store: CertificateStore) -> None:
    def broken() -> bytes:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        store.ensure(PID, "1", broken)
    assert not store.exists(PID, "1")


def test_discard_removes_every_version(store: CertificateStore) -> None:
    store.write_atomic(PID, "1", PDF)
    store.write_atomic(PID, "2", PDF)
    store.write_atomic("7K3MPQ9XRS", "1", PDF)  # same shard, other certificate
    assert store.discard(PID) == 2
    assert not store.exists(PID, "1") and not store.exists(PID, "2")
    assert store.exists("7K3MPQ9XRS", "1")


@pytest.mark.parametrize(
    "public_id",
    ["../../etc/passwd", "7K3MPQ9XR", "7k3mpq9xrt", "7K3MPQ9XR/", "..", "", "7K3MPQ9XRT\0", None],
)
def test_rejects_bad_public_ids(store: CertificateStore, public_id: object) -> None:
    for call in (
        lambda: store.path_for(public_id, "1"),  # type: ignore[arg-type]
        lambda: store.write_atomic(public_id, "1", PDF),  # type: ignore[arg-type]
        lambda: store.ensure(public_id, "1", Renderer()),  # type: ignore[arg-type]
        lambda: store.read(public_id, "1"),  # type: ignore[arg-type]
        lambda: store.discard(public_id),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError, match="public id"):
            call()
    assert not store.directory.exists()


@pytest.mark.parametrize("version", ["../1", "1/2", "", ".1", "a" * 33, "1\n"])
def test_rejects_bad_design_versions(store: CertificateStore, version: str) -> None:
    with pytest.raises(ValueError, match="design version"):
        store.write_atomic(PID, version, PDF)


def test_read_of_missing_certificate(store: CertificateStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.read(PID, "1")
    assert not store.exists(PID, "1")
