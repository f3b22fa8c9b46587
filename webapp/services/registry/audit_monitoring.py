"""`registry verify` for monitoring periods, verifications and deliveries (issue 18).

Called by ``audit_check`` after the log itself proved intact (every body hashed and
chained), so bodies are read directly here (a few rows per project). Checks, both ways:

* each ``monitoring_periods`` row against its ``monitoring`` entry (project, dates,
  method, area, report SHA-256 and size), its ``verification`` entry once verified or
  pending (verifier, verified kg, price, statement SHA-256 and size) and its
  ``verification_approval`` entry once approved (the issuance made); the status must be
  what those entries say; entries naming a missing period are reported;
* each allocation that settles another (``settles_allocation_id``) against its
  ``delivery`` entry (``settles``), and each ``delivery`` entry against its row. The
  delivery allocation's serials, state and public fields are replayed with the other
  allocation entries (``audit_check``: ``delivery`` counts as a retirement).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

KINDS = ("monitoring", "verification", "verification_approval")


def _money(value: Any) -> str | None:
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def _day(value: Any) -> str:
    return str(value)[:10]


def _entries(raw: Any, kind: str) -> dict[int, tuple[int, dict[str, Any]]]:
    out: dict[int, tuple[int, dict[str, Any]]] = {}
    for seq, body in raw.all(
        "SELECT seq, body FROM ledger_entries WHERE kind = :kind ORDER BY seq", kind=kind
    ):
        parsed = json.loads(body if isinstance(body, str) else bytes(body).decode())
        out[parsed.get("period")] = (seq, parsed)
    return out


def check(report: Any, raw: Any) -> None:
    monitoring = _entries(raw, "monitoring")
    verification = _entries(raw, "verification")
    approval = _entries(raw, "verification_approval")
    rows = raw.all(
        "SELECT m.id, p.code, m.period_start, m.period_end, m.method, m.area_ha, "
        "m.report_sha256, m.report_bytes, m.status, m.verifier, m.verified_kg, "
        "m.price_per_tonne, m.statement_sha256, m.statement_bytes, m.issuance_id "
        "FROM monitoring_periods m JOIN sink_projects p ON p.id = m.project_id ORDER BY m.id"
    )
    ids = set()
    for (
        pid,
        code,
        start,
        end,
        method,
        area,
        report_sha,
        report_bytes,
        status,
        verifier,
        verified_kg,
        price,
        statement_sha,
        statement_bytes,
        issuance_id,
    ) in rows:
        ids.add(pid)
        seq, body = monitoring.get(pid, (None, None))
        if body is None:
            report.row("monitoring_periods", pid, None, "no monitoring entry in the ledger")
            continue
        shown = {
            "project": code,
            "dates": [_day(start), _day(end)],
            "method": method,
            "area_ha": _money(area),
            "report_sha256": report_sha,
            "report_bytes": report_bytes,
        }
        _compare(report, pid, seq, shown, body)
        v_seq, v_body = verification.get(pid, (None, None))
        a_seq, a_body = approval.get(pid, (None, None))
        wanted = "verified" if a_body else "verification_pending" if v_body else "recorded"
        if status != wanted:
            report.row(
                "monitoring_periods",
                pid,
                a_seq or v_seq or seq,
                f"status {status!r}, ledger says {wanted!r}",
            )
        if v_body is not None:
            shown = {
                "project": code,
                "verifier": verifier,
                "verified_kg": verified_kg,
                "price_per_tonne": _money(price),
                "statement_sha256": statement_sha,
                "statement_bytes": statement_bytes,
            }
            _compare(report, pid, v_seq, shown, v_body)
        if a_body is not None and a_body.get("issuance") != issuance_id:
            report.row(
                "monitoring_periods",
                pid,
                a_seq,
                f"issuance_id {issuance_id}, ledger says {a_body.get('issuance')}",
            )
    for entries in (monitoring, verification, approval):
        for period, (seq, _body) in entries.items():
            if period not in ids:
                report.fail(
                    f"monitoring_periods row {period} is missing (ledger entry {seq} names it)",
                    seq=seq,
                )
    _check_deliveries(report, raw)


def _compare(report: Any, pid: int, seq: int, shown: dict[str, Any], body: dict) -> None:
    for name, value in shown.items():
        if body.get(name) != value:
            report.row(
                "monitoring_periods", pid, seq, f"{name} {value!r}, ledger says {body.get(name)!r}"
            )


def _check_deliveries(report: Any, raw: Any) -> None:
    links = dict(
        raw.all(
            "SELECT id, settles_allocation_id FROM allocations "
            "WHERE settles_allocation_id IS NOT NULL"
        )
    )
    seen = set()
    for seq, body, allocation_id in raw.all(
        "SELECT seq, body, allocation_id FROM ledger_entries WHERE kind = 'delivery' ORDER BY seq"
    ):
        parsed = json.loads(body if isinstance(body, str) else bytes(body).decode())
        seen.add(allocation_id)
        if links.get(allocation_id) != parsed.get("settles"):
            report.row(
                "allocations",
                allocation_id,
                seq,
                f"settles_allocation_id {links.get(allocation_id)}, "
                f"the delivery entry says {parsed.get('settles')}",
            )
    for aid in set(links) - seen:
        report.row("allocations", aid, None, "settles an allocation but no delivery entry says so")
