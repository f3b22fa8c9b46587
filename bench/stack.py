"""The production-shaped stack for the load and fault benches, on loopback only.

gunicorn (``gunicorn.conf.py``) + PostgreSQL + Redis (rate limits and the RQ queue) +
``flask tasks worker``. The database is dropped and rebuilt by the migrations, loaded
with ``demo-data`` and bench users. Also: an HTTP client that logs in and buys an offset
through the demo provider, and the post-run audit (``audit``) that the fault bench prints.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DEMO_PAY = re.compile(r'href="(?:https?://[^/"]+)?(/pay/demo/[^"]+)"')
VERIFY_URL = re.compile(r"/v/([2-9A-HJKMNP-Z]{10})")
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - scratch bench accounts

USERS_SNIPPET = """
from webapp import create_app
from webapp.extensions import db
from webapp.services import accounts
app = create_app()
with app.app_context():
    for i in range({count}):
        email = f"bench{{i}}@tanhui.local"
        if accounts.find_by_email(db.session, email) is None:
            accounts.register(db.session, email=email, password="{password}",
                              display_name=f"压测{{i}}")
    db.session.commit()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_only(url: str) -> None:
    host = re.sub(r"^[a-z+]+://([^@/]*@)?", "", url).split("/")[0].split(":")[0]
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a non-loopback service: {url}")


@dataclass
class Stack:
    database_url: str
    redis_url: str
    workdir: Path
    workers: int = 5
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TANHUI_ENV": "development",
            "DEBUG": "0",
            "SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
            "DATABASE_URL": self.database_url,
            "INSTANCE_PATH": str(self.workdir / "instance"),
            "CERTIFICATE_DIR": str(self.workdir / "certificates"),
            "SIGNING_KEY_FILE": str(self.workdir / "signing-key.pem"),
            "BASE_URL": self.base,
            "RATELIMIT_STORAGE_URI": self.redis_url,
            "RQ_REDIS_URL": self.redis_url,
            # Every bench client comes from 127.0.0.1: the per-address limits would
            # measure the limiter, not the app.
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "CALCULATOR_RATE_LIMIT": "100000 per minute",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_ACCESS_LOG": str(self.workdir / "access.log"),
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics"),
        }

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env(),
            check=check,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def prepare(self, users: int) -> str:
        """Fresh schema, migrations, demo data, bench users; the demo certificate's id."""
        loopback_only(self.database_url)
        loopback_only(self.redis_url)
        import redis
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        redis.Redis.from_url(self.redis_url).flushdb()
        (self.workdir / "metrics").mkdir(parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        out = self.flask("demo-data").stdout
        subprocess.run(
            [
                str(VENV_BIN / "python"),
                "-c",
                USERS_SNIPPET.format(count=users, password=BENCH_PASSWORD),
            ],
            cwd=ROOT,
            env=self.env(),
            check=True,
            timeout=600,
        )
        return VERIFY_URL.search(out).group(1)

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen:
        with open(self.workdir / log_name, "ab") as log:
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def start_web(self) -> subprocess.Popen:
        proc = self._spawn(
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], "gunicorn.out"
        )
        self.wait_ready(proc)
        return proc

    def start_worker(self) -> subprocess.Popen:
        return self._spawn(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "tasks", "worker"], "worker.out"
        )

    def wait_ready(self, proc: subprocess.Popen, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def worker_pids(self, master: subprocess.Popen) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(master.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self, proc: subprocess.Popen, timeout: float = 30) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)


class Buyer:
    """One logged-in resident buying 10 kg offsets with the demo provider."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.email = email
        self.http = requests.Session()

    def login(self) -> None:
        page = self.http.get(f"{self.base}/account/login", timeout=30)
        token = CSRF.search(page.text).group(1)
        answer = self.http.post(
            f"{self.base}/account/login",
            data={"csrf_token": token, "email": self.email, "password": BENCH_PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"login of {self.email} answered {answer.status_code}")

    def buy(self, timings: dict[str, list[float]] | None = None) -> str | None:
        """One purchase; the order reference once paid (None if a step failed)."""

        def timed(name: str, call):
            started = time.perf_counter()
            response = call()
            if timings is not None:
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            return response

        form = timed("GET /offset", lambda: self.http.get(f"{self.base}/offset", timeout=30))
        token = CSRF.search(form.text).group(1)
        created = timed(
            "POST /offset (confirm)",
            lambda: self.http.post(
                f"{self.base}/offset",
                data={
                    "csrf_token": token,
                    "project": "auto",
                    "tonnes": "0.01",
                    "beneficiary_name": "压测",
                    "privacy": "initials",
                    "purpose": "household_year",
                    "method": "demo",
                    "confirm": "1",
                },
                allow_redirects=False,
                timeout=30,
            ),
        )
        if created.status_code != 302:
            return None
        order_url = created.headers["Location"]
        ref = order_url.rstrip("/").rsplit("/", 1)[-1]
        order = timed(
            "GET /orders/<ref>",
            lambda: self.http.get(
                f"{self.base}{order_url}" if order_url.startswith("/") else order_url, timeout=30
            ),
        )
        pay_path = DEMO_PAY.search(order.text).group(1)
        page = timed("GET /pay/demo/<id>", lambda: self.http.get(self.base + pay_path, timeout=30))
        token = CSRF.search(page.text).group(1)
        paid = timed(
            "POST /pay/demo/<id>/pay",
            lambda: self.http.post(
                f"{self.base}{pay_path}/pay",
                data={"csrf_token": token},
                allow_redirects=False,
                timeout=30,
            ),
        )
        return ref if paid.status_code == 302 else None


AUDIT_SNIPPET = """
import json
from sqlalchemy import func, select, text
from webapp import create_app
from webapp.extensions import db
from webapp.models import Certificate, Issuance, Order

app = create_app()
with app.app_context():
    s = db.session
    statuses = dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    # Orders the demo provider says were paid (its own records), and what we did with them.
    demo_paid = s.execute(text(
        "SELECT order_ref FROM demo_checkouts WHERE payment_status = 'paid'"))
    demo_paid = {row[0] for row in demo_paid}
    orders = {o.ref: o for o in s.scalars(select(Order))}
    certs = dict(s.execute(select(Certificate.order_id, func.count())
                           .where(Certificate.order_id.is_not(None))
                           .group_by(Certificate.order_id)).all())
    # Retirement ledger entries per order (its allocation, or a late re-reservation).
    retire_entries = dict(s.execute(text(
        "SELECT o.ref, count(e.seq) FROM orders o JOIN allocations a "
        "ON a.holder_ref IN (o.ref, o.ref || '-late') JOIN ledger_entries e "
        "ON e.allocation_id = a.id AND e.kind = 'retirement' GROUP BY o.ref")).all())
    lost = sorted(r for r in demo_paid if orders[r].status.value != "paid")
    dup_certs = sorted(o.ref for o in orders.values() if certs.get(o.id, 0) > 1)
    missing_certs = sorted(o.ref for o in orders.values()
                           if o.status.value == "paid" and certs.get(o.id, 0) != 1)
    oversold = [i.id for i in s.scalars(select(Issuance))
                if i.reserved_kg + i.retired_kg > i.serial_last - i.serial_first + 1]
    print(json.dumps({
        "orders_by_status": {k.value: v for k, v in statuses.items()},
        "demo_provider_paid": len(demo_paid),
        "paid_but_not_fulfilled": lost,
        "orders_with_two_certificates": dup_certs,
        "paid_orders_without_exactly_one_certificate": missing_certs,
        "paid_orders_without_exactly_one_retirement": sorted(
            o.ref for o in orders.values()
            if o.status.value == "paid" and retire_entries.get(o.ref, 0) != 1),
        "retired_kg": sum(i.retired_kg for i in s.scalars(select(Issuance))),
        "issuances_oversold": oversold,
    }, ensure_ascii=False))
"""


def audit(stack: Stack) -> dict:
    import json

    out = subprocess.run(
        [str(VENV_BIN / "python"), "-c", AUDIT_SNIPPET],
        cwd=ROOT,
        env=stack.env(),
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":  # pragma: no cover
    sys.exit("a module of bench/mixed_load.py and bench/faults.py")
