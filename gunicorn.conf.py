"""gunicorn settings for Tanhui: `make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (shown in brackets):

* bind [GUNICORN_BIND, else HOST:PORT, else 127.0.0.1:8000] — nginx proxies to it.
* workers [WEB_CONCURRENCY] — 2 × CPUs + 1 sync workers by default. Requests are short
  (pages ~10–80 ms) except a first certificate download (~0.3 s render).
* timeout [GUNICORN_TIMEOUT, 30 s] — a worker silent this long is killed and replaced;
  graceful_timeout 30 s lets running requests finish on reload/stop.
* max_requests 10000 (+ up to 5000 jitter) — workers are recycled far apart, bounding
  any slow leak.
* access log on stdout, one JSON object per request with the request id.
* Prometheus multiprocess mode: PROMETHEUS_MULTIPROC_DIR (a fresh directory by default),
  emptied at start; a dead worker's live gauges are dropped.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

_host = os.environ.get("HOST", "127.0.0.1")
_port = os.environ.get("PORT", "8000")
bind = os.environ.get("GUNICORN_BIND", f"{_host}:{_port}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers to bound any slow leak, but far apart: with a small jitter all workers
# reached their limit together under steady load and restarted at once (~1.8 s of app
# start-up each on 2 cores), which showed as 3–4 s stalls at p95 in bench/mixed_load.py.
max_requests = 10000
max_requests_jitter = 5000
# nginx on the same machine sets X-Forwarded-*; trust it only from loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = (
    '{"time":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","query":"%(q)s",'
    '"status":%(s)s,"bytes":%(B)s,"duration_us":%(D)s,"request_id":"%({x-request-id}o)s",'
    '"user_agent":"%(a)s"}'
)
proc_name = "tanhui"

# Set before the workers import the app: prometheus_client reads it at import.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="tanhui-metrics-"))


def on_starting(server) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.is_dir():
        for item in directory.iterdir():
            if item.is_file() and item.suffix == ".db":
                item.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def on_exit(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if directory.startswith(os.path.join(tempfile.gettempdir(), "tanhui-metrics-")):
        shutil.rmtree(directory, ignore_errors=True)


def post_worker_init(worker) -> None:
    """Warm the worker before it accepts a request (webapp/warmup.py): recycled workers
    otherwise spend their first requests configuring mappers and compiling templates."""
    from flask import Flask

    from webapp.warmup import warm

    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        seconds = warm(app)
        worker.log.debug("worker %s warmed up in %.2f s", worker.pid, seconds)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
