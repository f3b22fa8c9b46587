"""The registry at scale: `flask registry verify` and the public register pages at N entries.

Builds its own PostgreSQL database (``DROP DATABASE IF EXISTS`` + ``CREATE DATABASE`` of the
name in ``--database-url``, never ``test``), creates the schema with the app's migrations,
then writes a registry exactly as the services would have: one active project, a few on-sale
issuances, and ``entries / 2`` retirements, each one ``reservation`` entry + one
``retirement`` entry, one retired ``SerialRange`` per issuance it touches (oldest vintage
first, as ``allocation.reserve`` takes them), a retired ``Allocation`` with its public name,
issuance counters, and the ledger: bodies built like ``ledger.append`` (v, seq, kind, at,
prev + the service's fields), hashed with ``canonical_json``/``entry_hash``, Merkle nodes
for every completed perfect subtree and the ledger head's frontier kept exactly as
``ledger.append`` keeps them. Rows go in with ``COPY`` in batches.

Then it times, as subprocesses: ``flask registry publish-head`` (one signed head),
``flask registry verify`` under ``/usr/bin/time -v`` (wall time, max RSS), and the pages
under ``gunicorn -w 2`` on a free loopback port: ``/registry/retirements``, a search by
serial and by beneficiary name, and ``/projects`` — N sequential requests per URL, then a
short concurrent run with a pool of threads. Finally it prints ``EXPLAIN ANALYZE`` of the
SQL each page runs (captured from a test-client request). gunicorn is stopped at the end.

    .venv/bin/python bench/registry_scale.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tanhui_bench --entries 1000000
    .venv/bin/python bench/registry_scale.py --entries 2000 --skip-pages   # consistency check
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROJECT_CODE = "BENCH-FOR"
ISSUANCE_KG = 600_000_000  # each issuance: 600,000 t as 1-kg serials
VINTAGES = (2022, 2023, 2024, 2025)
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ("小林", "建国", "丽", "伟", "芳", "海燕", "志强", "秀英", "明", "静")


def pg_conninfo(url: str) -> tuple[str, str]:
    """(libpq conninfo for the maintenance db ``postgres``, database name) from the URL."""
    parts = urllib.parse.urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    dbname = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    return admin, dbname


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def reset_database(url: str) -> None:
    import psycopg

    admin, dbname = pg_conninfo(url)
    if dbname in {"", "postgres", "test", "template0", "template1"}:
        raise SystemExit(f"refusing to drop database {dbname!r}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def make_app(url: str, instance: str):
    from webapp import create_app

    return create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_PATH=instance,
        SIGNING_KEY_FILE=os.path.join(instance, "signing-key.pem"),
    )


def build_schema_and_seed(app) -> tuple[int, list[tuple[int, int, int]]]:
    """Migrations, two admins, one project, the issuances → (project id, [(id, first, last)])."""
    import flask_migrate

    from webapp.extensions import db
    from webapp.models import (
        Delivery,
        Issuance,
        IssuanceStatus,
        ProjectStatus,
        ProjectType,
        SinkInstrument,
        SinkProject,
        User,
    )

    with app.app_context():
        flask_migrate.upgrade()
        s = db.session
        drafter = User(email="drafter@bench.local", display_name="drafter", password_hash="x")  # noqa: S106 - cannot log in
        approver = User(email="approver@bench.local", display_name="approver", password_hash="x")  # noqa: S106 - cannot log in
        project = SinkProject(
            code=PROJECT_CODE,
            name_zh="基准测试林场",
            name_en="Benchmark forest",
            type=ProjectType.AFFORESTATION,
            instrument=SinkInstrument.FORESTRY_TICKET,
            status=ProjectStatus.ACTIVE,
            province="CN-SD",
            city_zh="泰安",
            city_en="Tai'an",
            area_mu=Decimal("10000"),
            developer_zh="基准",
            developer_en="Bench",
            methodology="AR-CM-001",
            crediting_start=date(2020, 1, 1),
        )
        s.add_all([drafter, approver, project])
        s.flush()
        issuances = []
        for i, vintage in enumerate(VINTAGES):
            first = 1 + i * ISSUANCE_KG
            iss = Issuance(
                project_id=project.id,
                vintage=vintage,
                period_start=date(vintage, 1, 1),
                period_end=date(vintage, 12, 31),
                serial_first=first,
                serial_last=first + ISSUANCE_KG - 1,
                price_per_tonne=Decimal("80.00"),
                delivery=Delivery.VERIFIED,
                status=IssuanceStatus.ON_SALE,
                reserved_kg=0,
                retired_kg=0,
                drafted_by_id=drafter.id,
                approved_by_id=approver.id,
                approved_at=datetime(vintage + 1, 3, 1, tzinfo=UTC),
            )
            s.add(iss)
            issuances.append(iss)
        s.flush()
        out = [(i.id, i.serial_first, i.serial_last) for i in issuances]
        pid = project.id
        s.commit()
    return pid, out


def populate(
    url: str,
    project_id: int,
    issuances: list[tuple[int, int, int]],
    entries: int,
    batch: int,
    seed: int,
) -> dict[str, int]:
    """Write entries/2 reservation+retirement pairs with COPY; returns row counts."""
    from hashlib import sha256
    from json import dumps

    import psycopg

    from webapp.models import Privacy, Purpose
    from webapp.services.certificates.ids import ALPHABET
    from webapp.services.registry import merkle
    from webapp.services.registry.ledger import BODY_VERSION, iso_utc
    from webapp.services.registry.privacy import display_name

    rng = random.Random(seed)
    frontier: list[tuple[int, bytes]] = []
    prev = ""
    seq = 0
    range_id = 0
    # Cursor per issuance (oldest vintage first, like reserve()).
    cursors = [[iid, first, last] for iid, first, last in issuances]
    retired_by_issuance = {iid: 0 for iid, _, _ in issuances}
    start = datetime(2025, 1, 1, tzinfo=UTC)
    hold = timedelta(minutes=30)
    counts = {
        "allocations": 0,
        "serial_ranges": 0,
        "ledger_entries": 0,
        "merkle_nodes": 0,
        "certificates": 0,
    }

    def public_id(n: int) -> str:
        # Distinct ids in the public alphabet (the real ones are random).
        out = []
        for _ in range(10):
            n, r = divmod(n, len(ALPHABET))
            out.append(ALPHABET[r])
        return "".join(reversed(out))

    def entry(kind: str, body: dict, now: datetime, allocation_id: int | None):
        nonlocal prev, seq
        full = {
            "v": BODY_VERSION,
            "seq": seq,
            "kind": kind,
            "at": iso_utc(now),
            "prev": prev,
            **body,
        }
        # The canonical form without re-checking types (the generator only makes ints and
        # strings); hashed once over the text, as ledger.append stores it.
        text = dumps(full, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        leaf = sha256(b"\x00" + text.encode()).digest()
        row = (seq, kind, text, leaf, now, project_id, allocation_id)
        level, node, index = 0, leaf, seq
        nodes = []
        while frontier and frontier[-1][0] == level:
            _, left = frontier.pop()
            node = merkle.node_hash(left, node)
            level += 1
            index //= 2
            nodes.append((level, index, node))
        frontier.append((level, node))
        prev = leaf.hex()
        seq += 1
        return row, nodes

    # The issuances' own entries first, as issuance.draft / approve / set_status write them.
    first_rows: list[tuple] = []
    first_nodes: list[tuple] = []
    for (iid, first, last), vintage in zip(issuances, VINTAGES, strict=True):
        at = datetime(vintage + 1, 3, 1, tzinfo=UTC)
        for kind, body in (
            (
                "issuance",
                {
                    "issuance": iid,
                    "project": PROJECT_CODE,
                    "vintage": vintage,
                    "period": [f"{vintage}-01-01", f"{vintage}-12-31"],
                    "serial_first": first,
                    "serial_last": last,
                    "quantity_kg": last - first + 1,
                    "price_per_tonne": "80.00",
                    "delivery": "verified",
                    "expected_years": None,
                },
            ),
            ("approval", {"issuance": iid, "project": PROJECT_CODE}),
            ("issuance_status", {"issuance": iid, "project": PROJECT_CODE, "status": "on_sale"}),
        ):
            row, nodes = entry(kind, body, at, None)
            first_rows.append(row)
            first_nodes += nodes
    pairs = (entries - len(first_rows)) // 2

    with psycopg.connect(libpq_url(url)) as conn:
        aid = 0
        while aid < pairs:
            allocs, ranges, ledger_rows, node_rows, certs = [], [], [], [], []
            ledger_rows += first_rows
            node_rows += first_nodes
            first_rows, first_nodes = [], []
            for _ in range(min(batch, pairs - aid)):
                aid += 1
                # Household year offsets: mostly small, a few large (events, companies).
                qty = rng.choice(
                    (
                        rng.randint(1, 3000),
                        rng.randint(1, 3000),
                        rng.randint(1, 3000),
                        rng.randint(1000, 20000),
                    )
                )
                created = start + timedelta(milliseconds=aid * 9_000)
                retired = created + timedelta(milliseconds=rng.randint(20_000, 600_000))
                taken, remaining = [], qty
                for cur in cursors:
                    avail = cur[2] - cur[1] + 1
                    if avail <= 0:
                        continue
                    take = min(avail, remaining)
                    taken.append((cur[0], cur[1], cur[1] + take - 1))
                    cur[1] += take
                    remaining -= take
                    if not remaining:
                        break
                if remaining:
                    raise SystemExit("issuances exhausted: raise ISSUANCE_KG")
                body_ranges = [
                    {"issuance": i, "first": f, "last": la}
                    for i, f, la in sorted(taken, key=lambda t: t[1])
                ]
                for i, f, la in taken:
                    range_id += 1
                    ranges.append((range_id, i, aid, f, la, "retired"))
                    retired_by_issuance[i] += la - f + 1
                r = rng.random()
                if r < 0.10:
                    privacy, name = Privacy.ANONYMOUS, f"居民{aid:06d}"
                elif r < 0.25:
                    privacy = Privacy.INITIALS
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                else:
                    privacy, name = Privacy.FULL, f"居民{aid:06d}"
                public = display_name(name, privacy)
                res_row, res_nodes = entry(
                    "reservation",
                    {
                        "allocation": aid,
                        "project": PROJECT_CODE,
                        "quantity_kg": qty,
                        "ranges": body_ranges,
                        "expires_at": iso_utc(created + hold),
                    },
                    created,
                    aid,
                )
                ret_row, ret_nodes = entry(
                    "retirement",
                    {
                        "allocation": aid,
                        "project": PROJECT_CODE,
                        "quantity_kg": qty,
                        "ranges": body_ranges,
                        "beneficiary": public,
                        "purpose": Purpose.HOUSEHOLD_YEAR.value,
                        "purpose_detail": None,
                    },
                    retired,
                    aid,
                )
                allocs.append(
                    (
                        aid,
                        project_id,
                        qty,
                        "retired",
                        f"bench-order-{aid}",
                        None,
                        name,
                        public,
                        privacy.value,
                        Purpose.HOUSEHOLD_YEAR.value,
                        None,
                        None,
                        None,
                        created,
                        retired,
                        None,
                        ret_row[0],
                    )
                )
                certs.append(
                    (
                        aid,
                        public_id(aid * 7919 + 104729),
                        "offset",
                        "valid",
                        name,
                        public,
                        privacy.value,
                        "zh_CN",
                        qty,
                        retired.date(),
                        "bench-token-not-signed",
                        "bench",
                        aid,
                        retired,
                    )
                )
                ledger_rows += [res_row, ret_row]
                node_rows += res_nodes + ret_nodes
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY allocations (id, project_id, quantity_kg, state, holder_ref, expires_at,"
                    " beneficiary_name, beneficiary_public, privacy, purpose, purpose_detail,"
                    " case_number, court, created_at, retired_at, returned_at,"
                    " retirement_entry_seq) FROM STDIN"
                ) as cp:
                    for row in allocs:
                        cp.write_row(row)
                with cur.copy(
                    "COPY serial_ranges (id, issuance_id, allocation_id, first, last,"
                    " state) FROM STDIN"
                ) as cp:
                    for row in ranges:
                        cp.write_row(row)
                with cur.copy(
                    "COPY ledger_entries (seq, kind, body, leaf_hash, created_at,"
                    " project_id, allocation_id) FROM STDIN"
                ) as cp:
                    for row in ledger_rows:
                        cp.write_row(row)
                with cur.copy("COPY merkle_nodes (level, index, hash) FROM STDIN") as cp:
                    for row in node_rows:
                        cp.write_row(row)
                with cur.copy(
                    "COPY certificates (id, public_id, kind, status, holder_name, holder_public,"
                    " privacy, locale, quantity_kg, issued_on, token, key_id, allocation_id,"
                    " created_at) FROM STDIN"
                ) as cp:
                    for row in certs:
                        cp.write_row(row)
            conn.commit()
            counts["allocations"] += len(allocs)
            counts["serial_ranges"] += len(ranges)
            counts["ledger_entries"] += len(ledger_rows)
            counts["merkle_nodes"] += len(node_rows)
            counts["certificates"] += len(certs)
            print(f"  {seq:>9,} entries written", flush=True)
        with conn.cursor() as cur:
            for iid, n in retired_by_issuance.items():
                cur.execute(
                    "UPDATE issuances SET retired_kg = %s, reserved_kg = 0 WHERE id = %s", (n, iid)
                )
            cur.execute(
                # The app may have made the row already (issuances take their serials
                # from it): the written ledger replaces what it says.
                "INSERT INTO ledger_head (id, size, frontier, last_hash, next_serial)"
                " VALUES (1, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
                " size = EXCLUDED.size, frontier = EXCLUDED.frontier,"
                " last_hash = EXCLUDED.last_hash,"
                " next_serial = GREATEST(ledger_head.next_serial, EXCLUDED.next_serial)",
                (
                    seq,
                    ",".join(f"{lv}:{h.hex()}" for lv, h in frontier),
                    prev,
                    max(last for _, _, last in issuances) + 1,
                ),
            )
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('allocations', 'id'), %s)", (max(aid, 1),)
            )
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('serial_ranges', 'id'), %s)",
                (max(range_id, 1),),
            )
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('certificates', 'id'), %s)", (max(aid, 1),)
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    counts["retired_kg"] = sum(retired_by_issuance.values())
    return counts


def flask_env(url: str, instance: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FLASK_APP="wsgi",
        TANHUI_ENV="development",
        DATABASE_URL=url,
        INSTANCE_PATH=instance,
        SIGNING_KEY_FILE=os.path.join(instance, "signing-key.pem"),
    )
    return env


def timed(cmd: list[str], env: dict[str, str]) -> tuple[int, str, float, int]:
    """Run under /usr/bin/time -v → (exit code, output, wall seconds, max RSS KiB)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], cwd=ROOT, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = sum(
        float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)
    )
    out = (proc.stdout + proc.stderr).split("\tCommand being timed")[0].strip()
    timed.cpu = cpu  # user + system seconds of the child, read by main()
    return proc.returncode, out, wall, int(rss.group(1)) if rss else -1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
    resp = conn.getresponse()
    resp.read()
    dt = time.perf_counter() - t0
    conn.close()
    return resp.status, dt


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench_pages(
    env: dict[str, str], urls: dict[str, str], n: int, conc: int, conc_n: int, workers: int
) -> list[dict]:
    port = free_port()
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "300", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    results = []
    try:
        deadline = time.time() + 30
        while True:
            try:
                get(port, "/projects")
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        for label, path in urls.items():
            for _ in range(5):  # warm both workers
                status, _ = get(port, path)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
            seq_lat = []
            t0 = time.perf_counter()
            for _ in range(n):
                status, dt = get(port, path)
                assert status == 200, (path, status)
                seq_lat.append(dt)
            seq_wall = time.perf_counter() - t0
            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(conc) as pool:
                got = list(pool.map(lambda _, p=path: get(port, p), range(conc_n)))
            conc_wall = time.perf_counter() - t0
            assert all(s == 200 for s, _ in got), path
            conc_lat = [dt for _, dt in got]
            row = {
                "label": label,
                "path": path,
                "seq_p50": pct(seq_lat, 50) * 1000,
                "seq_p95": pct(seq_lat, 95) * 1000,
                "seq_rps": n / seq_wall,
                "conc_p50": pct(conc_lat, 50) * 1000,
                "conc_p95": pct(conc_lat, 95) * 1000,
                "conc_rps": conc_n / conc_wall,
            }
            results.append(row)
            print(
                f"  {label:<22} seq p50 {row['seq_p50']:7.1f} ms p95 {row['seq_p95']:7.1f} ms "
                f"{row['seq_rps']:6.1f} req/s | x{conc} p50 {row['conc_p50']:7.1f} ms "
                f"p95 {row['conc_p95']:7.1f} ms {row['conc_rps']:6.1f} req/s",
                flush=True,
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return results


def explain_pages(app, urls: dict[str, str]) -> None:
    """EXPLAIN ANALYZE every SELECT a page runs (captured from a test-client request)."""
    from sqlalchemy import event

    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
    for label, path in urls.items():
        captured: list[tuple[str, object]] = []

        def listener(conn, cursor, statement, parameters, context, executemany, out=captured):
            if statement.lstrip().upper().startswith("SELECT"):
                out.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", listener)
        try:
            resp = app.test_client().get(path)
            assert resp.status_code == 200, (path, resp.status_code)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        print(f"\n=== {label}: {path} ({len(captured)} SELECTs)")
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, params in captured:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                plan = [r[0] for r in cur.fetchall()]
                total = next((p for p in plan if p.startswith("Execution Time")), "")
                print(f"--- {total}\n{statement.strip()[:400]}\n  params={params}")
                print("\n".join("    " + p for p in plan[:40]))
            raw.rollback()
        finally:
            raw.close()


def reference_hashing(url: str, batch: int = 20_000) -> tuple[int, float, float]:
    """The floor `registry verify` is compared with, measured in the same run: plain
    SHA-256 of the same stored leaf bodies (0x00 ‖ body) in one process →
    (entries, seconds hashing only, seconds reading them from PostgreSQL + hashing)."""
    import hashlib

    import psycopg

    sha256 = hashlib.sha256
    n, hashing = 0, 0.0
    t0 = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor(name="reference") as cur:
        cur.itersize = batch
        cur.execute("SELECT body FROM ledger_entries ORDER BY seq")
        while rows := cur.fetchmany(batch):
            t1 = time.perf_counter()
            for (body,) in rows:
                sha256(b"\x00" + body.encode()).digest()
            hashing += time.perf_counter() - t1
            n += len(rows)
    return n, hashing, time.perf_counter() - t0


def bench_verify_page(app, url: str, n: int) -> dict[str, float]:
    """``GET /v/<id>`` of random certificates, sequentially, in this process (Flask test
    client: no HTTP server, so it measures the page's own work at this ledger size)."""
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT public_id FROM certificates WHERE status = 'valid'"
                " ORDER BY random() LIMIT %s",
                (n + 5,),
            )
        ]
    if not ids:
        raise SystemExit("no certificates to verify")
    client = app.test_client()
    for public_id in ids[:5]:
        resp = client.get(f"/v/{public_id}", headers={"Accept-Language": "zh-CN"})
        if resp.status_code != 200:
            raise SystemExit(f"/v/{public_id} answered {resp.status_code}")
    lat = []
    t0 = time.perf_counter()
    for public_id in ids[5:]:
        t1 = time.perf_counter()
        resp = client.get(f"/v/{public_id}", headers={"Accept-Language": "zh-CN"})
        lat.append(time.perf_counter() - t1)
        if resp.status_code != 200:
            raise SystemExit(f"/v/{public_id} answered {resp.status_code}")
    wall = time.perf_counter() - t0
    return {
        "n": len(lat),
        "p50": pct(lat, 50) * 1000,
        "p95": pct(lat, 95) * 1000,
        "p99": pct(lat, 99) * 1000,
        "rps": len(lat) / wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tanhui_bench"
        ),
        help="dropped and recreated (default: $BENCH_DATABASE_URL or tanhui_bench)",
    )
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000, help="retirements per COPY batch")
    ap.add_argument("--requests", type=int, default=200, help="sequential requests per URL")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--concurrent-requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--skip-populate", action="store_true", help="reuse the existing database")
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--skip-pages", action="store_true")
    ap.add_argument("--verify-page-requests", type=int, default=300, help="in-process GET /v/<id>")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's SQL")
    args = ap.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("PostgreSQL only (SQLite's overlap triggers make a 500k-row load O(n²))")

    instance = os.path.join(tempfile.gettempdir(), "tanhui-bench-registry")
    os.makedirs(instance, exist_ok=True)
    os.environ["INSTANCE_PATH"] = instance
    os.environ["SIGNING_KEY_FILE"] = os.path.join(instance, "signing-key.pem")
    print(
        f"machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM"
    )
    app = make_app(args.database_url, instance)
    env = flask_env(args.database_url, instance)
    flask = str(ROOT / ".venv" / "bin" / "flask")

    if not args.skip_populate:
        t0 = time.perf_counter()
        reset_database(args.database_url)
        project_id, issuances = build_schema_and_seed(app)
        t_schema = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = populate(
            args.database_url, project_id, issuances, args.entries, args.batch, args.seed
        )
        t_pop = time.perf_counter() - t0
        print(f"schema {t_schema:.1f} s; populate {t_pop:.1f} s (incl. VACUUM ANALYZE): {counts}")
        code, out, wall, _ = timed([flask, "registry", "publish-head"], env)
        print(f"publish-head ({wall:.1f} s): {out}")
        if code:
            raise SystemExit(code)

    import psycopg

    with psycopg.connect(libpq_url(args.database_url)) as conn:
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
        probe = conn.execute(
            "SELECT a.beneficiary_public, r.first, r.last FROM allocations a"
            " JOIN serial_ranges r ON r.allocation_id = a.id"
            " WHERE a.beneficiary_public LIKE '居民%' ORDER BY a.id LIMIT 1"
            " OFFSET (SELECT count(*) / 2 FROM allocations)"
        ).fetchone()
    print(f"database size: {size}")

    figures: list[str] = []
    if not args.skip_verify:
        code, out, wall, rss = timed([flask, "registry", "verify"], env)
        print(
            f"registry verify: exit {code}, {wall:.1f} s wall, max RSS {rss / 1024:.0f} MiB\n"
            f"  {out}",
            flush=True,
        )
        n, hashing, read_hash = reference_hashing(args.database_url)
        figures += [
            f"registry verify over {n:,} entries: {wall:.2f} s wall ({timed.cpu:.2f} s CPU "
            f"user+sys of the process, PostgreSQL's own work not included), max RSS "
            f"{rss / 1024:.0f} MiB, exit {code} (targets: <= 10 s, <= 300 MiB)",
            f"reference, same run: SHA-256 of the {n:,} stored bodies {hashing:.2f} s; "
            f"reading them from PostgreSQL + SHA-256 {read_hash:.2f} s",
            f"ratio: verify / plain SHA-256 = {wall / hashing:.1f}; "
            f"verify / (read + SHA-256) = {wall / read_hash:.1f}",
        ]
        if code:
            print("\n".join(figures))
            raise SystemExit(code)
    if args.verify_page_requests:
        page = bench_verify_page(app, args.database_url, args.verify_page_requests)
        figures.append(
            f"verify page GET /v/<id> in-process, {page['n']} random certificates: "
            f"p50 {page['p50']:.1f} ms, p95 {page['p95']:.1f} ms, p99 {page['p99']:.1f} ms, "
            f"{page['rps']:.0f} req/s"
        )
    if figures:
        print("\n== figures ==\n" + "\n".join(figures), flush=True)

    name, first, last = probe
    serial = (first + last) // 2
    urls = {
        "register": "/registry/retirements",
        "search serial": f"/registry/retirements?q={serial}",
        "search name": "/registry/retirements?q=" + urllib.parse.quote(name),
        "projects": "/projects",
    }
    if not args.skip_pages:
        bench_pages(
            env, urls, args.requests, args.concurrency, args.concurrent_requests, args.workers
        )
    if args.explain:
        explain_pages(app, urls)


if __name__ == "__main__":
    main()
