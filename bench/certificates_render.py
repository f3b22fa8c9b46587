"""Benchmark: certificate PDF rendering time, size and memory.

Renders N certificates (default 200) cycling offset / plot / event and zh / en, each
with its own public id, name and signed QR text, and reports per kind the p50/p95
wall-clock and CPU milliseconds and PDF sizes, plus resident memory (VmRSS) after 20
renders and after all N — a leak shows up as growth between the two. Prints a
markdown snippet and writes it to ``bench/results/certificates_render.md``.

    .venv/bin/python bench/certificates_render.py [--count 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import weasyprint  # noqa: E402

from webapp.services.certificates.context import (  # noqa: E402
    CertificateContext,
    Details,
    EventDetails,
    OffsetDetails,
    PlotDetails,
)
from webapp.services.certificates.ids import generate_public_id  # noqa: E402
from webapp.services.certificates.render import render_pdf  # noqa: E402
from webapp.services.certificates.token import TokenClaims, encode_token, qr_text  # noqa: E402
from webapp.services.signing import SigningKey  # noqa: E402

KINDS = ("offset", "plot", "event")
LOCALES = ("zh", "en")
NAMES = ("欧阳明月", "张伟", "泰安市林业局", "Li Na", "山东省泰安第一中学高二（3）班")
BASE = "https://tanhui.example.cn"
KEY = SigningKey.generate()
DAY = date(2025, 3, 15)


def details_for(kind: str, i: int) -> Details:
    ranges = [
        f"TH-TA-CLS-2024-{j * 7000 + 1001:09d}-{j * 7000 + 3417 + i:09d}" for j in range(i % 7 + 1)
    ]
    if kind == "offset":
        return OffsetDetails(
            quantity_kg=1000 + 17 * i,
            project_name_zh="泰安徂徕山造林碳汇项目",
            project_name_en="Tai'an Culai Mountain Afforestation",
            project_code="TA-CLS-2024",
            serial_ranges=ranges,
            purpose_zh="2025年日常工作生活碳足迹",
            purpose_en="the 2025 daily work and life footprint",
            delivery="projected" if i % 2 else "verified",
            expected_years="2027–2031" if i % 2 else None,
        )
    if kind == "plot":
        return PlotDetails(
            site_name_zh="泰山碳汇林纪念基地",
            site_name_en="Mount Tai Carbon Sink Memorial Forest",
            plot_code=f"CLS-JN-{i:04d}",
            location_zh="山东省泰安市岱岳区",
            location_en="Daiyue District, Tai'an, Shandong",
            trees=12 + i % 5,
            area_mu=Decimal("1.5"),
            species_zh="侧柏",
            species_en="Chinese arborvitae",
            dedication_kind_zh="纪念树",
            dedication_kind_en="memorial tree",
            dedication_message="愿你如树般成长",
            projected_t_per_year=Decimal("0.35"),
            projected_years="2026–2055",
        )
    return EventDetails(
        event_name="2025 泰山生态论坛",
        event_kind_zh="学术会议",
        event_kind_en="academic conference",
        event_dates="2025-03-14 – 2025-03-15",
        footprint_kg=18_000 + i,
        retired_kg=18_100 + i,
        serial_ranges=ranges,
        delivery="verified",
        meeting=True,
    )


def context_for(kind: str, i: int, details: Details) -> CertificateContext:
    public_id = generate_public_id()
    if isinstance(details, PlotDetails):
        value: dict[str, object] = {"plot_code": details.plot_code}
    elif isinstance(details, OffsetDetails):
        value = {"quantity_kg": details.quantity_kg}
    else:
        value = {"quantity_kg": details.retired_kg}
    claims = TokenClaims(public_id=public_id, kind=kind, issued_on=DAY, **value)
    return CertificateContext(
        kind=kind,
        public_id=public_id,
        locale=LOCALES[(i // len(KINDS)) % 2],
        holder_name=NAMES[i % len(NAMES)],
        issued_on=DAY,
        qr_text=qr_text(BASE, public_id, encode_token(KEY, claims)),
        verify_url=f"{BASE}/v/{public_id}",
    )


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="certificates to render")
    args = parser.parse_args()
    count = max(args.count, 21)

    jobs = [(KINDS[i % 3], i) for i in range(count)]
    prepared = []
    for kind, i in jobs:
        details = details_for(kind, i)
        prepared.append((kind, context_for(kind, i, details), details))

    start = time.perf_counter()
    render_pdf(prepared[0][1], prepared[0][2])  # first render: imports, font config, caches
    first_ms = (time.perf_counter() - start) * 1000

    wall: dict[str, list[float]] = {k: [] for k in KINDS}
    cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    size: dict[str, list[int]] = {k: [] for k in KINDS}
    rss_20 = 0.0
    load_before = os.getloadavg()[0]
    for n, (kind, ctx, details) in enumerate(prepared, start=1):
        w, c = time.perf_counter(), time.process_time()
        pdf = render_pdf(ctx, details)
        cpu[kind].append((time.process_time() - c) * 1000)
        wall[kind].append((time.perf_counter() - w) * 1000)
        size[kind].append(len(pdf))
        if n == 20:
            rss_20 = rss_mib()
    rss_n = rss_mib()
    load_after = os.getloadavg()[0]

    all_wall = [v for k in KINDS for v in wall[k]]
    all_cpu = [v for k in KINDS for v in cpu[k]]
    rows = [
        "| kind | renders | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms | PDF KB min–max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in (*KINDS, "all"):
        w = all_wall if kind == "all" else wall[kind]
        c = all_cpu if kind == "all" else cpu[kind]
        s = [v for k in KINDS for v in size[k]] if kind == "all" else size[kind]
        rows.append(
            f"| {kind} | {len(w)} | {statistics.median(w):.0f} | {percentile(w, 95):.0f} | "
            f"{statistics.median(c):.0f} | {percentile(c, 95):.0f} | "
            f"{min(s) / 1024:.1f}–{max(s) / 1024:.1f} |"
        )
    snippet = "\n".join(
        [
            f"Command: `.venv/bin/python bench/certificates_render.py --count {count}`",
            "",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"WeasyPrint {weasyprint.__version__}; load average {load_before:.2f} before, "
            f"{load_after:.2f} after (other work shares the machine: CPU time is the "
            "steadier figure).",
            "",
            *rows,
            "",
            f"- First render in a fresh process (imports, fontconfig, caches): {first_ms:.0f} ms.",
            f"- Resident memory: {rss_20:.1f} MiB after 20 renders, {rss_n:.1f} MiB after "
            f"{count} ({rss_n - rss_20:+.1f} MiB).",
        ]
    )
    print(snippet)
    out = REPO / "bench" / "results" / "certificates_render.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(snippet + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
