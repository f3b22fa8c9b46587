"""Footprint calculations per second through the JSON API under gunicorn.

Starts gunicorn (``-w 2`` by default) on a free loopback port, checks that both endpoints
answer 200 with a result, then drives ``POST /api/v1/footprints/household`` and
``POST /api/v1/footprints/event`` with the request bodies of issue 3 — with ``wrk`` when it is
installed (a fixed duration, fixed connections), else with a thread pool sending a fixed
number of requests — and reports requests per second and p50/p95/p99 latency. gunicorn is
stopped at the end, whatever happens.

    .venv/bin/python bench/footprint_api.py                  # wrk if installed, else threads
    .venv/bin/python bench/footprint_api.py --client threads --requests 3000
    .venv/bin/python bench/footprint_api.py --workers 4 --connections 16 --duration 20

Nothing is written to the database: the API does not store calculations.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The request bodies of issue 3 ("What to build", item 5).
BODIES = {
    "household": {
        "province": "CN-GD",
        "household_size": 3,
        "electricity_kwh": 3600,
        "natural_gas_m3": 240,
        "cars": [{"fuel": "petrol", "km": 8000}],
        "transit": {"bus_km": 1000, "metro_km": 2000, "high_speed_rail_km": 3000},
        "flights": [{"from": "CAN", "to": "PEK", "return": True}],
        "diet": "average_meat",
    },
    "event": {
        "province": "CN-SD",
        "participants": 300,
        "days": 2,
        "travel": [
            {"mode": "high_speed_rail", "people": 200, "one_way_km": 500},
            {"mode": "flight", "people": 100, "one_way_km": 1200},
        ],
        "round_trip": True,
        "room_nights": 300,
        "meals": 1200,
        "vegetarian_share": 0,
        "venue": {"electricity_kwh": 8000},
    },
}

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%(body)s]]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"non2xx":%%d,"errors":%%d,'
    .. '"p50_us":%%d,"p95_us":%%d,"p99_us":%%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, path: str, body: bytes, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_gunicorn(port: int, workers: int, instance: Path) -> subprocess.Popen:
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    env = {
        **os.environ,
        "TANHUI_ENV": "development",
        "DEBUG": "0",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
    }
    return subprocess.Popen(
        [
            *command,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def wait_ready(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def run_wrk(port, path, body, args, workdir: Path) -> dict:
    script = workdir / f"{path.rsplit('/', 1)[-1]}.lua"
    script.write_text(WRK_SCRIPT % {"body": body.decode()}, encoding="utf-8")
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
        "seconds": seconds,
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "failed": data["non2xx"] + data["errors"],
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def run_threads(port, path, body, args, _workdir: Path) -> dict:
    def one(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        status, _answer = post(port, path, body)
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.connections) as pool:
        results = list(pool.map(one, range(args.requests)))
    seconds = time.perf_counter() - started
    latencies = [t * 1000 for _s, t in results]
    return {
        "requests": len(results),
        "seconds": seconds,
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
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "threads"
    runner = run_wrk if client == "wrk" else run_threads

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tanhui-bench-") as tmp:
        workdir = Path(tmp)
        proc = start_gunicorn(port, args.workers, workdir)
        try:
            wait_ready(port, proc)
            figures = {}
            for kind, data in BODIES.items():
                path = f"/api/v1/footprints/{kind}"
                body = json.dumps(data).encode()
                status, answer = post(port, path, body)
                result = json.loads(answer)
                if status != 200 or "total_kg" not in result:
                    raise RuntimeError(f"{path} answered {status}: {answer[:200]!r}")
                for _ in range(50):  # warm-up: imports, caches, factor-set loading
                    post(port, path, body)
                figures[kind] = {
                    "total_kg": result["total_kg"],
                    **runner(port, path, body, args, workdir),
                }
        finally:
            stop(proc)

    setup = {
        "client": client,
        "workers": args.workers,
        "connections": args.connections,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps({"setup": setup, "figures": figures}, indent=2))
        return 0
    print(
        f"gunicorn -w {args.workers}, {client}, {args.connections} connections, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    header = ("endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed")
    print(f"{header[0]:<10} " + " ".join(f"{h:>8}" for h in header[1:]))
    for kind, f in figures.items():
        print(
            f"{kind:<10} {f['requests']:>8} {f['rps']:>8.0f} {f['p50_ms']:>8.1f} "
            f"{f['p95_ms']:>8.1f} {f['p99_ms']:>8.1f} {f['failed']:>8}"
        )
    return 1 if any(f["failed"] for f in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
