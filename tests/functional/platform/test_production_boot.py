"""`make serve` with the production environment exactly as docs/DEPLOY.md gives it (a key
file made as it says, no inline key): the signed documents, a verify page, the tree head and
a Stripe-signed fulfilment work; without the key file the server refuses to start and
/readyz never answers 200."""

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
import requests

from tests.support.fixtures import localstripe, stripe_fake  # noqa: F401
from tests.support.stripe_fake import deliver

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WEBHOOK_SECRET = "whsec_production_boot"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _deploy_section() -> str:
    text = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    return text.split("`/etc/tanhui/tanhui.env`", 1)[1].split("```sh", 1)[1].split("```", 1)[0]


def _production_env(tmp_path: Path, port: int, stripe_url: str) -> dict[str, str]:
    """DEPLOY.md's environment file, its hosts and paths replaced by this machine's."""
    documented = {}
    for line in _deploy_section().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and "=" in line:
            name, value = line.split("=", 1)
            documented[name] = value
    assert documented["TANHUI_ENV"] == "production"
    assert "SIGNING_KEY_FILE" in documented and "SIGNING_KEY" not in documented
    redis_url = os.environ.get("REDIS_URL")
    local = {
        "SECRET_KEY": "production-boot-test-secret-0123456789abcdefghij",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tanhui.sqlite3'}",
        "SIGNING_KEY_FILE": str(tmp_path / "etc" / "signing-key.pem"),
        "CERTIFICATE_DIR": str(tmp_path / "srv" / "certificates"),
        "CERTIFICATE_ACCEL_PREFIX": "",
        "PLOT_PHOTO_DIR": str(tmp_path / "srv" / "plot-photos"),
        "INSTANCE_PATH": str(tmp_path / "var"),
        "STRIPE_SECRET_KEY": "sk_test_production_boot",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAIL_SERVER": "",
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "METRICS_TOKEN": "metrics-token",
        "WEB_CONCURRENCY": "1",
        "REDIS_URL": redis_url or "",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RQ_REDIS_URL": "",  # no worker here: the aftermath runs in the request
    }
    assert set(local) - {"METRICS_TOKEN"} <= set(documented) | {
        "STRIPE_API_BASE",
        "MAIL_SERVER",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANHUI_", "SIGNING_"))}
    for name in ("TEST_DATABASE_URL", "SIGNING_KEY", "DEBUG", "PAYMENT_PROVIDER"):
        env.pop(name, None)
    env.update(documented)
    env.update(local)
    env.update(
        {
            "STRIPE_API_BASE": stripe_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    (tmp_path / "metrics").mkdir(exist_ok=True)
    return env


def _make_key(env: dict[str, str]) -> None:
    """The key as DEPLOY.md says to make it."""
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    command = re.search(r"^\s*(openssl genpkey [^\n]+)$", deploy, re.MULTILINE)
    assert command, "DEPLOY.md says how to make the signing key"
    path = Path(env["SIGNING_KEY_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    argv = command.group(1).split("#", 1)[0].split()
    argv = [env["SIGNING_KEY_FILE"] if a == "/etc/tanhui/signing-key.pem" else a for a in argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


def _flask(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PYTHON={sys.executable}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _ready(base: str, proc: subprocess.Popen, seconds: float) -> int | None:
    """The last /readyz status seen, polling until 200, the process ends, or time runs out."""
    status = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = requests.get(f"{base}/readyz", timeout=3).status_code
            if status == 200:
                return status
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            return status
        time.sleep(0.3)
    return status


class _HttpsBehindProxy(requests.Session):
    """A browser behind DEPLOY.md's nginx: X-Forwarded-Proto https, Secure cookies kept."""

    def request(self, method, url, **kwargs):  # type: ignore[override]
        page = "https://" + url.split("://", 1)[1]  # CSRF checks the referrer over https
        headers = {"X-Forwarded-Proto": "https", "Referer": page}
        headers.update(kwargs.pop("headers", None) or {})
        response = super().request(method, url, headers=headers, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False  # the proxy speaks https for us
        return response


def test_production_as_documented_signs_verifies_and_fulfils(tmp_path, stripe_fake):  # noqa: F811
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _production_env(tmp_path, port, stripe_fake.url)
    _make_key(env)
    setup = {**env, "TANHUI_ENV": "development"}
    _flask(setup, "db", "upgrade")
    demo = _flask(setup, "demo-data")
    public_id = re.search(r"/v/([2-9A-HJKMNP-Z]{10})", demo).group(1)
    stripe_fake.webhook_url = None

    proc = _serve(env, tmp_path / "serve.log")
    try:
        assert _ready(base, proc, 180) == 200, (tmp_path / "serve.log").read_text()[-3000:]
        ready = requests.get(f"{base}/readyz", timeout=5).json()
        assert ready["checks"]["signing"]["ok"] is True

        from webapp.services.signing import load_signing_key

        key = load_signing_key(Path(env["SIGNING_KEY_FILE"]).read_bytes())
        keys_doc = requests.get(f"{base}/.well-known/tanhui-keys.json", timeout=10)
        assert keys_doc.status_code == 200
        assert key.verifying_key.key_id in keys_doc.text
        assert requests.get(f"{base}/v/{public_id}", timeout=10).status_code == 200
        head = requests.get(f"{base}/api/v1/registry/tree-head", timeout=10)
        assert head.status_code == 200, head.text
        assert key.verifying_key.key_id in head.text

        browser = _HttpsBehindProxy()
        token = CSRF.search(browser.get(f"{base}/account/login").text).group(1)
        login = browser.post(
            f"{base}/account/login",
            data={
                "csrf_token": token,
                "email": "resident@tanhui.local",
                "password": "demo-resident-2026",
            },
            allow_redirects=False,
        )
        assert login.status_code == 302, login.text[:500]
        page = browser.get(f"{base}/offset").text
        project = re.search(r'<option value="([A-Z]{2}-[A-Z]{2,4})"', page).group(1)
        form = {
            "csrf_token": CSRF.search(page).group(1),
            "project": project,
            "tonnes": "1",
            "beneficiary_name": "王小林",
            "privacy": "initials",
            "purpose": "household_year",
            "purpose_detail": "",
            "method": "stripe",
            "confirm": "1",
        }
        placed = browser.post(f"{base}/offset", data=form, allow_redirects=False)
        assert placed.status_code == 302, placed.text[:2000]
        ref = re.search(r"/orders/(TH[0-9A-Z]{8})", placed.headers["Location"]).group(1)
        sessions = [s for s in stripe_fake.sessions.values() if s["client_reference_id"] == ref]
        assert len(sessions) == 1
        status, body = deliver(base, stripe_fake.complete(sessions[0]["id"]), WEBHOOK_SECRET)
        assert status == 200 and b'"fulfilled"' in body, body
        order_page = browser.get(f"{base}/orders/{ref}")
        assert order_page.status_code == 200
        certificate = re.search(r"/v/([2-9A-HJKMNP-Z]{10})", order_page.text)
        assert certificate, order_page.text[:3000]
        assert requests.get(f"{base}/v/{certificate.group(1)}", timeout=10).status_code == 200
    finally:
        _stop(proc)


def test_production_without_the_key_file_refuses_to_start(tmp_path, stripe_fake):  # noqa: F811
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _production_env(tmp_path, port, stripe_fake.url)
    # No key made: the documented SIGNING_KEY_FILE does not exist.
    setup = {**env, "TANHUI_ENV": "development", "SIGNING_KEY_FILE": str(tmp_path / "dev.pem")}
    _flask(setup, "db", "upgrade")
    proc = _serve(env, tmp_path / "serve.log")
    try:
        assert _ready(base, proc, 60) != 200
        assert proc.wait(timeout=60) != 0
        log = (tmp_path / "serve.log").read_text()
        assert "SIGNING_KEY_FILE" in log, log[-3000:]
        assert not Path(env["SIGNING_KEY_FILE"]).exists()  # never generated in production
    finally:
        _stop(proc)
