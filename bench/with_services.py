"""Run a bench with its own PostgreSQL database and its own Redis, then clean up.

What ``make bench`` uses, so that nothing has to be set up by hand:

* **PostgreSQL**: a scratch database (``tanhui_bench_<pid>``) created on the local server
  named by ``BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
  postgres``, the server ``make test`` uses for ``TEST_DATABASE_URL``) and dropped at the
  end. When no server answers there, a throw-away cluster is made with ``initdb`` in a
  temporary directory on a free loopback port (run as the ``postgres`` user when this is
  root) and removed at the end.
* **Redis**: ``redis-server`` on a free loopback port, nothing saved to disk, stopped at
  the end.

The command after ``--`` gets ``--database-url URL --redis-url URL`` appended:

    .venv/bin/python bench/with_services.py -- .venv/bin/python bench/mixed_load.py
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reachable(url: str) -> bool:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise SystemExit(
        f"no PostgreSQL server at {DEFAULT_POSTGRES} and no {name} to make one: "
        "install PostgreSQL (scripts/ensure-debian-packages.sh postgresql)"
    )


@contextlib.contextmanager
def own_cluster() -> Iterator[str]:
    """A temporary PostgreSQL cluster on a free port; its admin URL."""
    tmp = Path(tempfile.mkdtemp(prefix="tanhui-bench-pg-"))
    port = free_port()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:  # initdb refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(tmp, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = tmp / "data"
    initdb = [_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run([*prefix, *initdb], check=True, capture_output=True)
    ctl = [*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(tmp / "server.log")]
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*ctl, "-o", options, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "fast", "stop"], check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    admin = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    with contextlib.ExitStack() as stack:
        if not _reachable(admin):
            print(f"no PostgreSQL at {admin}: making a throw-away cluster", flush=True)
            admin = stack.enter_context(own_cluster())
        name = f"tanhui_bench_{os.getpid()}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()


@contextlib.contextmanager
def own_redis() -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is needed (scripts/ensure-debian-packages.sh redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        else:
            raise SystemExit("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        raise SystemExit(__doc__)
    command = argv[argv.index("--") + 1 :]
    with scratch_database() as database_url, own_redis() as redis_url:
        print(f"bench services: {database_url} · {redis_url}", flush=True)
        done = subprocess.run([*command, "--database-url", database_url, "--redis-url", redis_url])
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
