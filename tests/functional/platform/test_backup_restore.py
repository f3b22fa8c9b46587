"""scripts/backup.sh + scripts/restore.sh: back up, wipe, restore, `registry verify` passes,
and the certificate PDF and the signing key come back byte for byte.

SQLite always; PostgreSQL too when TEST_DATABASE_URL is set, in a scratch database of its
own (``<test database>_backup``), never the test database itself."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
HAVE_PG_TOOLS = all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql"))


def _run(env: dict[str, str], *command: str) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _scratch_postgres() -> str:
    url = make_url(os.environ["TEST_DATABASE_URL"])
    scratch = url.set(database=f"{url.database}_backup")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    return scratch.render_as_string(hide_password=False)


def _drop_and_create(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_backup_wipe_restore_verify(backend, tmp_path):
    if backend == "postgresql" and not HAVE_PG_TOOLS:
        pytest.skip("pg_dump / pg_restore / psql not installed")
    database_url = (
        f"sqlite:///{tmp_path / 'live' / 'tanhui.sqlite3'}"
        if backend == "sqlite"
        else _scratch_postgres()
    )
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "TANHUI_ENV": "development",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "live"),
        "CERTIFICATE_DIR": str(tmp_path / "live" / "certificates"),
        "PLOT_PHOTO_DIR": str(tmp_path / "live" / "plot-photos"),
        "SIGNING_KEY_FILE": str(tmp_path / "live" / "signing-key.pem"),
    }
    env.pop("SIGNING_KEY", None)
    env.pop("STORAGE_S3_BUCKET", None)
    flask = (str(BIN / "flask"), "--app", "wsgi")
    _run(env, *flask, "db", "upgrade")
    _run(env, *flask, "demo-data")
    certificates = _digests(tmp_path / "live" / "certificates")
    assert any(name.endswith(".pdf") for name in certificates)
    key = (tmp_path / "live" / "signing-key.pem").read_bytes()
    listing = _run(env, *flask, "certificates", "list")
    # Writes publish their tree heads as they commit; backup.sh publishes the current one
    # (already published: heads are kept once per size), and the restore keeps them all.
    before = _run(env, *flask, "registry", "verify")
    heads = re.search(r"(\d+) signed tree heads", before).group(1)
    assert int(heads) >= 1

    out = _run(env, "scripts/backup.sh", str(tmp_path / "backups"))
    (backup,) = (tmp_path / "backups").iterdir()
    assert "backup written to" in out
    names = sorted(p.name for p in backup.iterdir())
    assert "SHA256SUMS" in names and "signing-key.pem" in names
    assert "certificates.tar.gz" in names
    assert ("database.sqlite3" if backend == "sqlite" else "database.pgdump") in names

    # Lose everything.
    shutil.rmtree(tmp_path / "live")
    if backend == "postgresql":
        _drop_and_create(database_url)

    # A damaged backup is refused before anything is touched.
    tampered = tmp_path / "tampered"
    shutil.copytree(backup, tampered)
    (tampered / "signing-key.pem").write_bytes(b"not the key")
    refused = subprocess.run(
        ["scripts/restore.sh", str(tampered)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert not (tmp_path / "live" / "signing-key.pem").exists()

    out = _run(env, "scripts/restore.sh", str(backup))
    assert "registry ok" in out
    assert _digests(tmp_path / "live" / "certificates") == certificates
    assert (tmp_path / "live" / "signing-key.pem").read_bytes() == key
    assert _run(env, *flask, "certificates", "list") == listing
    verify = _run(env, *flask, "registry", "verify")
    assert verify.startswith("registry ok")
    assert f"{heads} signed tree heads" in verify

    # Restoring again over a live database is refused.
    again = subprocess.run(
        ["scripts/restore.sh", str(backup)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode != 0 and "refusing" in again.stderr

    if backend == "postgresql":
        parsed = make_url(database_url)
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
        admin.dispose()
