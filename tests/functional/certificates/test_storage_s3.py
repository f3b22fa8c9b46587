"""The storage interface against a real S3-compatible server: moto's server on loopback
(``moto_server``, from PyPI), spoken to by boto3 over HTTP like MinIO or S3 would be."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from webapp.services import storage
from webapp.services.certificates.storage import CertificateStore

BUCKET = "tanhui-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1)
                break
            except requests.RequestException:
                assert proc.poll() is None and time.monotonic() < deadline, "moto_server"
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def s3_config(s3_endpoint, tmp_path):
    config = {
        "STORAGE_S3_BUCKET": BUCKET,
        "STORAGE_S3_ENDPOINT_URL": s3_endpoint,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY_ID": "test-key",
        "STORAGE_S3_SECRET_ACCESS_KEY": "test-secret",
        "CERTIFICATE_DIR": str(tmp_path / "unused-certificates"),
        "PLOT_PHOTO_DIR": str(tmp_path / "unused-photos"),
    }
    client = storage.s3_client(config)
    existing = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    if BUCKET in existing:
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    else:
        client.create_bucket(Bucket=BUCKET)
    return config


def test_s3_store_round_trip(s3_config):
    store = storage.from_config(s3_config, "certificates")
    assert isinstance(store, storage.S3Store)
    assert store.local_path("7K/x.pdf") is None
    assert not store.exists("7K/a.pdf")
    store.put("7K/a.pdf", b"%PDF-1 a")
    store.put("7K/b.pdf", b"%PDF-1 b")
    store.put("7L/c.pdf", b"%PDF-1 c")
    assert store.get("7K/a.pdf") == b"%PDF-1 a"
    assert store.exists("7K/a.pdf")
    assert store.keys("7K/") == ["7K/a.pdf", "7K/b.pdf"]
    assert store.keys("7K/a") == ["7K/a.pdf"]
    assert store.delete("7K/a.pdf") is True
    assert store.delete("7K/a.pdf") is False
    with pytest.raises(FileNotFoundError):
        store.get("7K/a.pdf")
    # Areas are prefixes of one bucket: photos do not see certificates.
    assert storage.from_config(s3_config, "photos").keys("7K/") == []
    storage.probe(store)
    assert store.keys("readyz/") == []
    with pytest.raises(ValueError):
        store.put("../escape", b"x")


def test_certificate_store_renders_once_in_s3(s3_config):
    pdfs = CertificateStore(storage.from_config(s3_config, "certificates"))
    calls = []

    def render() -> bytes:
        calls.append(1)
        return b"%PDF-1.7 certificate"

    first = pdfs.ensure("7K3MPQ9XRT", "2026.1", render)
    second = pdfs.ensure("7K3MPQ9XRT", "2026.1", render)
    assert len(calls) == 1
    assert first == second
    assert first.path is None and first.key == "7K/7K3MPQ9XRT.v2026.1.pdf"
    assert first.sha256 == hashlib.sha256(b"%PDF-1.7 certificate").hexdigest()
    assert pdfs.read_stored(first) == b"%PDF-1.7 certificate"
    pdfs.ensure("7K3MPQ9XRT", "2026.2", lambda: b"%PDF-1.7 new design")
    assert not pdfs.exists("7K3MPQ9XRT", "2026.1")  # the older design is removed
    assert pdfs.discard("7K3MPQ9XRT") == 1
    # Nothing was written to the local folder.
    assert not Path(s3_config["CERTIFICATE_DIR"]).exists()


def test_app_downloads_and_readyz_with_s3(
    s3_config, app, client, auth, make_user, issue_certificate
):
    from tests.support.app import PASSWORD

    app.config.update(s3_config)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["storage"]["ok"] is True
    owner = make_user("resident", email="s3@example.cn")
    auth.login(email="s3@example.cn", password=PASSWORD)
    certificate = issue_certificate(owner=owner)
    first = client.get(f"/certificates/{certificate.public_id}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF-")
    stored = storage.from_config(s3_config, "certificates")
    (key,) = stored.keys(f"{certificate.public_id[:2]}/{certificate.public_id}.v")
    assert stored.get(key) == first.data
    assert client.get(f"/certificates/{certificate.public_id}.pdf").data == first.data
    assert not Path(s3_config["CERTIFICATE_DIR"]).exists()


def test_plot_photos_in_s3(s3_config):
    import io

    from PIL import Image

    from webapp.services.plots import photos

    raw = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 40)).save(raw, "PNG")
    prepared = photos.prepare(raw.getvalue(), max_bytes=1 << 20)
    store = storage.from_config(s3_config, "photos")
    created = photos.save(store, [prepared])
    assert created == [prepared.relative_path]
    assert photos.save(store, [prepared]) == []  # same content: nothing new
    assert store.get(prepared.relative_path) == prepared.data
    photos.discard(created, store)
    assert not store.exists(prepared.relative_path)
