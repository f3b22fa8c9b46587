"""Faults during a purchase load, then proof that nothing was lost, doubled or oversold.

Stack as in ``mixed_load.py`` (gunicorn + PostgreSQL + Redis + ``flask tasks worker``),
with a PostgreSQL cluster and a Redis server of the bench's own, because both are stopped:

    pg_createcluster 15 bench --port 5433 && pg_ctlcluster 15 bench start
    createdb -h 127.0.0.1 -p 5433 -U postgres bench_wt10
    redis-server --port 6380 --bind 127.0.0.1 --daemonize yes --save "" \\
        --pidfile /tmp/tanhui-bench-redis.pid

Timeline (``--clients`` buyers loop over offset purchases with the demo provider, and a
prober reads ``/readyz`` twice a second):

* t=5 s    SIGKILL a gunicorn worker, ten times 0.5 s apart (purchases in flight die)
* t=15 s   ``pg_ctlcluster <version> <cluster> restart`` (every connection is cut)
* t=25 s   Redis shut down (``SHUTDOWN NOSAVE``), started again 5 s later
* t=40 s   load stops

Then ``flask payments reconcile --older-than 0`` settles what the provider took but a
killed request never recorded, the queue is drained (``flask tasks worker --burst``), and
the audit checks: every order the demo provider marked paid is paid here, with exactly
one certificate and exactly one retirement entry; no issuance has reserved + retired
above issued; ``flask registry verify`` passes. Exit 1 otherwise.

    .venv/bin/python bench/faults.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from stack import Buyer, Stack, audit, load_average  # noqa: E402

TMP = tempfile.gettempdir()


def redis_port(url: str) -> int:
    return int(url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=30
    ).stdout.strip()


def start_redis(port: int) -> None:
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--pidfile",
            f"{TMP}/tanhui-bench-redis-{port}.pid",
            "--logfile",
            f"{TMP}/tanhui-bench-redis-{port}.log",
        ],
        check=True,
        timeout=30,
    )
    for _ in range(50):
        if redis_cli(port, "ping") == "PONG":
            return
        time.sleep(0.1)
    raise RuntimeError("redis did not come back")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5433/bench_wt10"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6380/5")
    parser.add_argument("--pg-cluster", default="15/bench", help="VERSION/NAME to restart")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--kills", type=int, default=10, help="worker SIGKILLs, 0.5 s apart")
    args = parser.parse_args()
    port = redis_port(args.redis_url)
    if port == 6379 or ":5432/" in args.database_url:
        sys.exit("refusing to stop the shared PostgreSQL (5432) or Redis (6379)")
    version, cluster = args.pg_cluster.split("/")

    events: list[str] = []
    t0 = time.monotonic()

    def note(text: str) -> None:
        line = f"t={time.monotonic() - t0:5.1f}s  {text}"
        events.append(line)
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="tanhui-faults-") as tmp:
        stack = Stack(args.database_url, args.redis_url, Path(tmp))
        if args.workers:
            stack.workers = args.workers
        print(f"preparing {args.database_url} …  load {load_average()}", flush=True)
        stack.prepare(users=args.clients)
        master = stack.start_web()
        worker = stack.start_worker()
        stop = threading.Event()
        stats = {"paid": 0, "failed": 0, "errors": {}}
        lock = threading.Lock()

        def buyer(number: int) -> None:
            client = Buyer(stack.base, f"bench{number}@tanhui.local")
            while not stop.is_set():
                try:
                    client.login()
                    break
                except (requests.RequestException, RuntimeError, AttributeError):
                    time.sleep(0.5)
            while not stop.is_set():
                try:
                    ok = client.buy() is not None
                    error = None if ok else "step refused"
                except (requests.RequestException, AttributeError, KeyError) as exc:
                    ok, error = False, type(exc).__name__
                with lock:
                    if ok:
                        stats["paid"] += 1
                    else:
                        stats["failed"] += 1
                        stats["errors"][error] = stats["errors"].get(error, 0) + 1
                if not ok:
                    time.sleep(0.2)
                    try:
                        client.login()  # a fresh session after a failed step
                    except (requests.RequestException, RuntimeError, AttributeError):
                        time.sleep(0.5)

        def prober() -> None:
            last = None
            while not stop.is_set():
                try:
                    r = requests.get(f"{stack.base}/readyz", timeout=3)
                    body = r.json()
                    failing = sorted(k for k, v in body["checks"].items() if not v["ok"])
                    state = f"/readyz {r.status_code}" + (f" failing {failing}" if failing else "")
                except (requests.RequestException, ValueError) as exc:
                    state = f"/readyz unreachable ({type(exc).__name__})"
                if state != last:
                    note(state)
                    last = state
                time.sleep(0.5)

        threads = [threading.Thread(target=buyer, args=(i,)) for i in range(args.clients)]
        threads.append(threading.Thread(target=prober))
        t0 = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            time.sleep(5)
            rng = random.Random(10)
            for _ in range(args.kills):
                pids = stack.worker_pids(master)
                victim = rng.choice(pids)
                os.kill(victim, signal.SIGKILL)
                note(f"SIGKILL gunicorn worker {victim} (of {len(pids)})")
                time.sleep(0.5)
            time.sleep(max(0.0, 15 - (time.monotonic() - t0)))
            note(f"pg_ctlcluster {version} {cluster} restart …")
            subprocess.run(["pg_ctlcluster", version, cluster, "restart"], check=True, timeout=120)
            note("PostgreSQL is back")
            time.sleep(max(0.0, 25 - (time.monotonic() - t0)))
            note(f"redis-cli -p {port} shutdown nosave")
            redis_cli(port, "shutdown", "nosave")
            time.sleep(5)
            start_redis(port)
            note("Redis is back (empty: rate-limit counters and queued jobs are gone)")
            if worker.poll() is not None:
                note(f"the RQ worker had exited ({worker.returncode}); restarted, as systemd would")
                stack.procs.remove(worker)
                worker = stack.start_worker()
            time.sleep(max(0.0, 40 - (time.monotonic() - t0)))
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            note(
                f"load stopped: {stats['paid']} purchases paid, {stats['failed']} failed "
                f"{stats['errors']}"
            )
            stack.stop_all()

        log = (Path(tmp) / "gunicorn.out").read_text(errors="replace").splitlines()
        worth = [
            line
            for line in log
            if "TIMEOUT" in line or "Traceback" in line or "Error" in line[:200]
        ]
        print(f"gunicorn log: {len(log)} lines; {len(worth)} about timeouts or errors:")
        for line in worth[:15]:
            print("  " + line[:300])
        before = audit(stack)
        print("audit before reconcile:", json.dumps(before, ensure_ascii=False))
        reconciled = stack.flask("payments", "reconcile", "--older-than", "0")
        print("$ flask payments reconcile --older-than 0")
        print(reconciled.stdout.strip()[-2000:])
        drained = stack.flask("tasks", "worker", "--burst", check=False)
        print(f"$ flask tasks worker --burst  (exit {drained.returncode})")
        after = audit(stack)
        print("audit after reconcile:", json.dumps(after, ensure_ascii=False))
        verify = stack.flask("registry", "verify", check=False)
        print(f"$ flask registry verify  (exit {verify.returncode})")
        print((verify.stdout + verify.stderr).strip())
        print(f"load average after: {load_average()}")

    problems = [
        key
        for key in (
            "paid_but_not_fulfilled",
            "orders_with_two_certificates",
            "paid_orders_without_exactly_one_certificate",
            "paid_orders_without_exactly_one_retirement",
            "issuances_oversold",
        )
        if after[key]
    ]
    ok = not problems and verify.returncode == 0
    print("RESULT:", "PASS" if ok else f"FAIL {problems}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
