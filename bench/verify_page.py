"""Certificate verification requests per second under gunicorn.

Builds a scratch SQLite database (migrations + ``flask demo-data``, which issues the demo
certificate), optionally adds ``--retirements`` more retirements so the ledger is not
tiny, starts gunicorn (``-w 2``) on a free loopback port and drives, one after the other:

* ``GET /v/<ID>``                  the verify page (status, coverage, inclusion proof)
* ``GET /V/<ID>/<TOKEN>``          what the QR code opens (plus the token's signature check)
* ``GET /api/v1/certificates/<ID>`` the JSON answer
* ``GET /api/v1/certificates/status-list`` the signed revocation list

with ``wrk`` when installed, else a thread pool, and reports requests per second, p50/p95/p99
latency and the page size. gunicorn is stopped at the end, whatever happens.

    .venv/bin/python bench/verify_page.py
    .venv/bin/python bench/verify_page.py --client threads --requests 2000 --retirements 2000
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from footprint_api import free_port, percentile, start_gunicorn, stop  # noqa: E402

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"errors":%d,'
    .. '"p50_us":%d,"p95_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""

EXTRA_RETIREMENTS = """
from datetime import timedelta
from sqlalchemy import select
from webapp import create_app
from webapp.extensions import db
from webapp.models import Privacy, Purpose, SinkProject
from webapp.services.registry import allocation

app = create_app()
with app.app_context():
    project = db.session.scalar(select(SinkProject).where(SinkProject.code == "LS-FM"))
    for i in range({count}):
        held = allocation.reserve(db.session, project, 10, f"bench-{{i}}", hold=timedelta(hours=1))
        allocation.retire(
            db.session, held,
            allocation.Beneficiary(name=f"bench {{i}}", privacy=Privacy.INITIALS,
                                   purpose=Purpose.GIFT),
        )
        if i % 200 == 199:
            db.session.commit()
    db.session.commit()
"""


def get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def flask(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def wait_ready(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if get(port, "/api/v1/", timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def run_wrk(port: int, path: str, args, workdir: Path) -> dict:
    script = workdir / "done.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    seconds = data["duration_us"] / 1e6
    return {
        "requests": data["requests"],
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "failed": data["non2xx"] + data["errors"],
    }


def run_threads(port: int, path: str, args, _workdir: Path) -> dict:
    def one(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        status, _body = get(port, path)
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.connections) as pool:
        results = list(pool.map(one, range(args.requests)))
    seconds = time.perf_counter() - started
    latencies = [t * 1000 for _status, t in results]
    return {
        "requests": len(results),
        "rps": len(results) / seconds,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "failed": sum(1 for status, _t in results if status != 200),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--client", choices=["auto", "wrk", "threads"], default="auto")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--duration", type=int, default=15, help="wrk: seconds per endpoint (15)")
    parser.add_argument("--requests", type=int, default=2000, help="threads: per endpoint (2000)")
    parser.add_argument("--retirements", type=int, default=0, help="extra ledger retirements")
    args = parser.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "threads"
    runner = run_wrk if client == "wrk" else run_threads

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tanhui-bench-") as tmp:
        workdir = Path(tmp)
        env = {
            **os.environ,
            "TANHUI_ENV": "development",
            "DEBUG": "0",
            "INSTANCE_PATH": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "CERTIFICATE_DIR": str(workdir / "certificates"),
            "BASE_URL": f"http://127.0.0.1:{port}",
        }
        os.environ.update({k: env[k] for k in ("CERTIFICATE_DIR", "BASE_URL")})
        flask(env, "db", "upgrade")
        output = flask(env, "demo-data")
        public_id = output.rsplit("/v/", 1)[1].split()[0]
        if args.retirements:
            code = EXTRA_RETIREMENTS.format(count=args.retirements)
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        proc = start_gunicorn(port, args.workers, workdir)
        try:
            wait_ready(port, proc)
            token = json.loads(get(port, f"/api/v1/certificates/{public_id}")[1])["token"]
            paths = {
                "verify page": f"/v/{public_id}",
                "scanned QR": f"/V/{public_id}/{token}",
                "JSON": f"/api/v1/certificates/{public_id}",
                "status list": "/api/v1/certificates/status-list",
            }
            figures = {}
            for name, path in paths.items():
                status, body = get(port, path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                for _ in range(50):  # warm-up
                    get(port, path)
                figures[name] = {"bytes": len(body), **runner(port, path, args, workdir)}
            ledger = json.loads(get(port, "/api/v1/registry/tree-head")[1])["tree_size"]
        finally:
            stop(proc)

    print(
        f"gunicorn -w {args.workers}, {client}, {args.connections} connections, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, ledger {ledger} entries"
    )
    header = ("endpoint", "bytes", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed")
    print(f"{header[0]:<12} " + " ".join(f"{h:>8}" for h in header[1:]))
    for name, f in figures.items():
        print(
            f"{name:<12} {f['bytes']:>8} {f['requests']:>8} {f['rps']:>8.0f} {f['p50_ms']:>8.1f} "
            f"{f['p95_ms']:>8.1f} {f['p99_ms']:>8.1f} {f['failed']:>8}"
        )
    return 1 if any(f["failed"] for f in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
