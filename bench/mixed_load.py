"""Mixed load against gunicorn + PostgreSQL + Redis + an RQ worker, on loopback.

1. Rebuilds the bench database (migrations, demo data, bench residents), starts gunicorn
   with ``gunicorn.conf.py`` and ``flask tasks worker`` (receipts and PDFs are queued).
2. Per endpoint, with ``wrk`` (2 s of warm-up discarded, then ``--seconds`` each, ``-c``
   connections): a static file of
   exactly the verify page's size, the verify page, the home page, ``/projects`` and the
   household calculator API.
   Then the ratio as A/B pairs (``--ab-rounds`` pairs of ``--ab-seconds`` runs, the static
   file and the verify page back to back in ABBA order; the median of the pairs' ratios),
   which a shared machine's changing load disturbs far less than one run of each.
3. The mix, with a thread pool for ``--mix-seconds``: home, calculator API, projects, the
   verify page and offset purchases with the demo provider (form, confirm, order page,
   demo checkout, pay), by weight; latency per endpoint, throughput overall.
4. Audits the database (every paid order fulfilled once, nothing oversold) and runs
   ``flask registry verify``.

Stops by itself: every phase is bounded in time, the whole run in ``--max-requests``.

    .venv/bin/python bench/mixed_load.py                       # defaults below
    .venv/bin/python bench/mixed_load.py --seconds 10 --mix-seconds 30 --threads 8
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from footprint_api import BODIES  # noqa: E402
from stack import ROOT, Buyer, Stack, audit, load_average, percentile  # noqa: E402
from verify_page import WRK_SCRIPT  # noqa: E402 - the done() that prints JSON

STATIC_NAME = "bench-verify-size.html"
MIX = [  # (name, weight)
    ("GET /", 25),
    ("POST /api/v1/footprints/household", 25),
    ("GET /projects", 20),
    ("GET /v/<ID>", 25),
    ("purchase", 5),
]


def wrk(url: str, seconds: int, connections: int, workdir: Path, body: dict | None) -> dict:
    setup = ""
    if body is not None:
        setup = (
            'wrk.method = "POST"\nwrk.body = [[' + json.dumps(body) + "]]\n"
            'wrk.headers["Content-Type"] = "application/json"'
        )
    script = workdir / "bench.lua"
    script.write_text(setup + "\n" + WRK_SCRIPT, encoding="utf-8")
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return {
        "requests": data["requests"],
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "failed": data["non2xx"] + data["errors"],
    }


def per_endpoint(stack: Stack, public_id: str, args, workdir: Path) -> dict[str, dict]:
    verify = requests.get(f"{stack.base}/v/{public_id}", timeout=30)
    verify.raise_for_status()
    size = len(verify.content)
    static = ROOT / "static" / STATIC_NAME
    # Same size as the verify page, same kind of bytes (HTML of the page itself).
    static.write_bytes(verify.content)
    token = requests.get(f"{stack.base}/api/v1/certificates/{public_id}", timeout=30).json()[
        "token"
    ]
    results = {}
    try:
        static_path, verify_path = f"/static/{STATIC_NAME}", f"/v/{public_id}"
        if args.ab_rounds:
            results["_ab"] = interleaved(stack, static_path, verify_path, args, workdir)
        targets = [
            (f"GET /static/{STATIC_NAME} ({size} B)", f"/static/{STATIC_NAME}", None),
            (f"GET /v/<ID> ({size} B)", f"/v/{public_id}", None),
            ("GET /V/<ID>/<TOKEN> (QR code)", f"/V/{public_id}/{token}", None),
            ("GET /api/v1/certificates/<ID>", f"/api/v1/certificates/{public_id}", None),
            ("GET /", "/", None),
            ("GET /projects", "/projects", None),
            (
                "POST /api/v1/footprints/household",
                "/api/v1/footprints/household",
                BODIES["household"],
            ),
        ]
        for name, path, body in targets:
            # Warm every worker (imports, catalogs, the certificate's record) first.
            wrk(stack.base + path, 2, args.connections, workdir, body)
            results[name] = wrk(stack.base + path, args.seconds, args.connections, workdir, body)
            print(f"  {name}: {results[name]['rps']:.0f} req/s", flush=True)
    finally:
        static.unlink(missing_ok=True)
    return results


def interleaved(stack: Stack, static_path: str, verify_path: str, args, workdir: Path) -> dict:
    """The ratio as an A/B pair: short runs of the static file and the verify page, one
    right after the other, in ABBA order, so that a change in the machine's load (shared,
    noisy) falls on both sides; the ratio of each adjacent pair, then their median."""
    wrk(stack.base + static_path, 2, args.connections, workdir, None)
    wrk(stack.base + verify_path, 2, args.connections, workdir, None)
    pairs = []
    for number in range(args.ab_rounds):
        order = ("static", "verify") if number % 2 == 0 else ("verify", "static")
        runs = {}
        for side in order:
            path = static_path if side == "static" else verify_path
            runs[side] = wrk(stack.base + path, args.ab_seconds, args.connections, workdir, None)
        ratio = runs["verify"]["rps"] / runs["static"]["rps"]
        pairs.append({**{f"{k}_{s}": v[k] for s, v in runs.items() for k in v}, "ratio": ratio})
        print(
            f"  A/B round {number + 1}: static {runs['static']['rps']:.0f} req/s, "
            f"verify {runs['verify']['rps']:.0f} req/s (p99 {runs['verify']['p99_ms']:.1f} ms), "
            f"ratio {ratio:.2f}",
            flush=True,
        )
    return {
        "rounds": pairs,
        "median_ratio": percentile([p["ratio"] for p in pairs], 50),
        "median_verify_p99_ms": percentile([p["p99_ms_verify"] for p in pairs], 50),
        "median_static_p99_ms": percentile([p["p99_ms_static"] for p in pairs], 50),
    }


def mixed(stack: Stack, public_id: str, args) -> tuple[dict[str, list[float]], dict, float]:
    timings: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + args.mix_seconds
    budget = [args.max_requests]
    paid_refs: list[str] = []
    names = [n for n, _w in MIX]
    weights = [w for _n, w in MIX]

    def client(number: int) -> None:
        rng = random.Random(number)
        http = requests.Session()
        buyer = Buyer(stack.base, f"bench{number}@tanhui.local")
        buyer.login()
        local: dict[str, list[float]] = {}
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            name = rng.choices(names, weights)[0]
            started = time.perf_counter()
            try:
                if name == "purchase":
                    ref = buyer.buy(local)
                    ok = ref is not None
                    if ok:
                        with lock:
                            paid_refs.append(ref)
                elif name == "GET /":
                    ok = http.get(stack.base + "/", timeout=30).ok
                elif name == "GET /projects":
                    ok = http.get(stack.base + "/projects", timeout=30).ok
                elif name == "GET /v/<ID>":
                    ok = http.get(f"{stack.base}/v/{public_id}", timeout=30).ok
                else:
                    ok = http.post(
                        stack.base + "/api/v1/footprints/household",
                        json=BODIES["household"],
                        timeout=30,
                    ).ok
            except requests.RequestException:
                ok = False
            local.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            if not ok:
                with lock:
                    failures[name] = failures.get(name, 0) + 1
        with lock:
            for key, values in local.items():
                timings.setdefault(key, []).extend(values)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        for future in [pool.submit(client, i) for i in range(args.threads)]:
            future.result()
    elapsed = time.perf_counter() - started
    return timings, {"failures": failures, "paid": len(paid_refs)}, elapsed


def table(rows: dict[str, dict]) -> str:
    lines = [
        "| endpoint | requests | req/s | p50 | p95 | p99 | failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| `{name}` | {r['requests']:,} | {r['rps']:.0f} | {r['p50_ms']:.1f} ms | "
            f"{r['p95_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['failed']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # ``make bench`` (bench/with_services.py) passes a scratch database and its own Redis.
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5433/bench_wt10"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6380/5")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn (gunicorn.conf.py)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--ab-rounds", type=int, default=6, help="static/verify A/B pairs (0: none)"
    )
    parser.add_argument("--ab-seconds", type=int, default=5, help="wrk: seconds per A/B run")
    parser.add_argument("--mix-seconds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=8, help="mix: concurrent clients")
    parser.add_argument("--max-requests", type=int, default=20000, help="mix: at most")
    parser.add_argument("--skip-endpoints", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    if not args.skip_endpoints and not shutil.which("wrk"):
        sys.exit("wrk is needed for the per-endpoint phase (apt-get install wrk)")

    report: dict = {"load_before": load_average(), "nproc": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="tanhui-mixed-") as tmp:
        workdir = Path(tmp)
        stack = Stack(args.database_url, args.redis_url, workdir)
        if args.workers:
            stack.workers = args.workers
        print(f"preparing {args.database_url} …", flush=True)
        public_id = stack.prepare(users=args.threads)
        try:
            stack.start_web()
            stack.start_worker()
            print(f"gunicorn -w {stack.workers} on {stack.base}; load {load_average()}")
            if not args.skip_endpoints:
                print("per endpoint (wrk):", flush=True)
                report["endpoints"] = per_endpoint(stack, public_id, args, workdir)
            print(f"mix for {args.mix_seconds} s with {args.threads} clients …", flush=True)
            timings, outcome, elapsed = mixed(stack, public_id, args)
            report["mix_seconds"] = elapsed
            report["mix"] = {
                name: {
                    "requests": len(values),
                    "rps": len(values) / elapsed,
                    "p50_ms": percentile(values, 50),
                    "p95_ms": percentile(values, 95),
                    "p99_ms": percentile(values, 99),
                    "failed": outcome["failures"].get(name, 0),
                }
                for name, values in sorted(timings.items())
            }
            total = sum(len(v) for k, v in timings.items() if k != "purchase")
            report["mix_total_rps"] = total / elapsed
            report["purchases_paid"] = outcome["paid"]
            time.sleep(3)  # let the worker take the last receipts
        finally:
            stack.stop_all()
        report["load_after"] = load_average()
        report["audit"] = audit(stack)
        verify = stack.flask("registry", "verify", check=False)
        report["registry_verify"] = (verify.stdout + verify.stderr).strip()
        report["registry_verify_exit"] = verify.returncode

    if "endpoints" in report:
        print(f"\n### Per endpoint (wrk -t2 -c{args.connections}, {args.seconds} s each)\n")
        ab = report["endpoints"].pop("_ab", None)
        print(table(report["endpoints"]))
        endpoints = list(report["endpoints"].values())
        ratio = endpoints[1]["rps"] / endpoints[0]["rps"]
        report["verify_over_static"] = ratio
        print(
            f"\nverify page / static file of the same size: {ratio:.2f} (target >= 0.6); "
            f"verify page p99 {endpoints[1]['p99_ms']:.1f} ms (target <= 25 ms)"
        )
        if ab:
            report["ab"] = ab
            ratios = ", ".join(f"{p['ratio']:.2f}" for p in ab["rounds"])
            print(
                f"A/B pairs ({len(ab['rounds'])} x {args.ab_seconds} s each side, ABBA): "
                f"ratios {ratios}; median {ab['median_ratio']:.2f} (target >= 0.6); "
                f"median p99 verify {ab['median_verify_p99_ms']:.1f} ms, "
                f"static {ab['median_static_p99_ms']:.1f} ms"
            )
    print(f"\n### Mix ({args.threads} clients, {report['mix_seconds']:.1f} s)\n")
    print(table(report["mix"]))
    print(
        f"\nmix throughput (HTTP requests, purchase steps counted one by one): "
        f"{report['mix_total_rps']:.0f} req/s; purchases paid: {report['purchases_paid']}"
    )
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    print("audit:", json.dumps(report["audit"], ensure_ascii=False))
    print(
        f"flask registry verify (exit {report['registry_verify_exit']}):", report["registry_verify"]
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if report["registry_verify_exit"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
