"""Two app servers (gunicorn, different ports) sharing one database, Redis and the
certificate store: a session made on one works on the other, the login rate limit is
counted once for both, and a certificate rendered by one is served by the other."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set (CI sets it)"),
]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CERTIFICATE = re.compile(r"/certificates/([2-9A-HJKMNP-Z]{10})\.pdf")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def _wait(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server on {port} exited with {proc.returncode}"
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"server on {port} did not start")


@pytest.fixture
def two_servers(tmp_path: Path):
    shared = {
        **os.environ,
        "TANHUI_ENV": "development",
        "DEBUG": "0",
        "SECRET_KEY": "two-servers-share-this-secret-key-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "CERTIFICATE_DIR": str(tmp_path / "certificates"),
        "SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "LOGIN_RATE_LIMIT": "6 per minute",
        "WEB_CONCURRENCY": "1",
        "LOG_FORMAT": "json",
    }
    shared.pop("RQ_REDIS_URL", None)
    redis.Redis.from_url(REDIS_URL).flushdb()
    _flask({**shared, "INSTANCE_PATH": str(tmp_path / "setup")}, "db", "upgrade")
    _flask({**shared, "INSTANCE_PATH": str(tmp_path / "setup")}, "demo-data")
    # Start with an empty store: the first download below renders the PDF.
    for pdf in (tmp_path / "certificates").rglob("*.pdf"):
        pdf.unlink()
    servers = []
    for name in ("a", "b"):
        port = _free_port()
        metrics = tmp_path / f"metrics-{name}"
        metrics.mkdir()
        env = {
            **shared,
            "INSTANCE_PATH": str(tmp_path / name),
            "PORT": str(port),
            "BASE_URL": f"http://127.0.0.1:{port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        servers.append((port, proc))
    try:
        for port, proc in servers:
            _wait(port, proc)
        yield [f"http://127.0.0.1:{port}" for port, _proc in servers]
    finally:
        for _port, proc in servers:
            proc.send_signal(signal.SIGTERM)
        for _port, proc in servers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        redis.Redis.from_url(REDIS_URL).flushdb()


def _login(http: requests.Session, base: str, password: str) -> requests.Response:
    token = CSRF.search(http.get(f"{base}/account/login").text).group(1)
    return http.post(
        f"{base}/account/login",
        data={"csrf_token": token, "email": "resident@tanhui.local", "password": password},
        allow_redirects=False,
    )


def _renders(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    match = re.search(r"^tanhui_certificates_rendered_total (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_two_app_servers_share_sessions_limits_and_certificates(two_servers):
    a, b = two_servers
    browser = requests.Session()

    # A session cookie made by A is honoured by B.
    assert _login(browser, a, "demo-resident-2026").status_code == 302
    mine = browser.get(f"{b}/account/certificates")
    assert mine.status_code == 200
    assert mine.url == f"{b}/account/certificates"  # not sent to the login page
    public_id = CERTIFICATE.search(mine.text).group(1)

    # Rendered once by A, then served from the shared store by B, byte for byte.
    first = browser.get(f"{a}/certificates/{public_id}.pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF-")
    second = browser.get(f"{b}/certificates/{public_id}.pdf")
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    assert _renders(a) == 1.0
    assert _renders(b) == 0.0
    assert requests.get(f"{b}/v/{public_id}", timeout=10).status_code == 200

    # One login limit for both: 6 per minute from this address, counted in Redis.
    # The successful login above was the first; wrong passwords alternate A, B, A …
    anonymous = requests.Session()
    codes = [_login(anonymous, (a, b)[i % 2], f"wrong-{i}").status_code for i in range(7)]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]  # refused by B, then by A
