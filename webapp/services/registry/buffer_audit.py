"""`registry verify` for the buffer pool and losses (issue 18).

Pass 1 of ``audit_check`` keeps the ``buffer``, ``cancellation`` and ``loss_resolved``
entries (a handful per issuance and loss); :func:`check` replays them and compares:

* the buffer and loss allocations (states ``buffer`` / ``cancelled``) and their serial
  ranges: buffer serials still held, buffer serials cancelled, unsold serials cancelled;
* each issuance's ``buffer_held_kg``, ``buffer_used_kg`` and ``cancelled_kg`` with the
  replayed totals and with its serial ranges;
* each loss row (status, estimate, how it was covered, the entry it links) with its
  ``cancellation`` / ``loss_resolved`` entries, both ways.

A mismatch names the table, the row and the entry, like the rest of ``registry verify``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

KINDS = frozenset({"buffer", "cancellation", "loss_resolved"})
STATES = ("buffer", "cancelled")  # allocation and range states kept by this pass

Run = tuple[int, int, int]  # (issuance, first, last)


class _Report(Protocol):
    def fail(self, message: str, seq: int | None = None) -> None: ...
    def row(self, table: str, row: object, seq: int | None, message: str) -> None: ...


class _Rows(Protocol):
    def all(self, sql: str, **params: Any) -> list[tuple]: ...


def merge(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for iss, first, last in sorted(runs, key=lambda r: (r[0], r[1])):
        if out and out[-1][0] == iss and out[-1][2] + 1 == first:
            out[-1] = (iss, out[-1][1], last)
        else:
            out.append((iss, first, last))
    return out


def subtract(runs: list[Run], removed: list[Run]) -> tuple[list[Run], bool]:
    """``runs`` without ``removed``; False if some removed serial was not in ``runs``."""
    out = merge(runs)
    whole = True
    for iss, first, last in removed:
        inside = any(r[0] == iss and r[1] <= first and last <= r[2] for r in out)
        whole = whole and inside
        nxt: list[Run] = []
        for r_iss, r_first, r_last in out:
            if r_iss != iss or r_last < first or r_first > last:
                nxt.append((r_iss, r_first, r_last))
                continue
            if r_first < first:
                nxt.append((r_iss, r_first, first - 1))
            if r_last > last:
                nxt.append((r_iss, last + 1, r_last))
        out = nxt
    return merge(out), whole


def _runs(body_ranges: list[dict[str, int]]) -> list[Run]:
    return [(r["issuance"], r["first"], r["last"]) for r in body_ranges]


def _kg(runs: list[Run]) -> int:
    return sum(last - first + 1 for _i, first, last in runs)


def _fmt(runs: list[Run]) -> str:
    return ", ".join(f"{f}-{la}" for _i, f, la in merge(runs)) or "none"


@dataclass
class Replay:
    """What the entries say."""

    # allocation -> (seq, quantity withheld, serials still held, serials used)
    buffers: dict[int, list[Any]] = field(default_factory=dict)
    # allocation -> (seq, serials cancelled from stock)
    stock: dict[int, tuple[int, list[Run]]] = field(default_factory=dict)
    # issuance -> [held, used, cancelled]
    counters: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    # loss -> (seq, body) of its cancellation; loss -> seq of its resolution
    cancellations: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    resolved: dict[int, int] = field(default_factory=dict)


def replay(report: _Report, entries: list[tuple[int, str, dict[str, Any]]]) -> Replay:
    r = Replay()
    for seq, kind, body in entries:
        try:
            if kind == "buffer":
                runs = merge(_runs(body["ranges"]))
                if _kg(runs) != body["quantity_kg"]:
                    report.fail(f"entry {seq}: buffer ranges do not add up to its quantity", seq)
                if body.get("allocation") is not None:
                    r.buffers[body["allocation"]] = [seq, body["quantity_kg"], runs, []]
                for iss, f, la in runs:
                    r.counters[iss][0] += la - f + 1
            elif kind == "cancellation":
                r.cancellations[body["loss"]] = (seq, body)
                for iss, f, la in _runs(body["buffer_ranges"]):
                    owner = next(
                        (
                            a
                            for a, b in r.buffers.items()
                            if any(x[0] == iss and x[1] <= f and la <= x[2] for x in b[2])
                        ),
                        None,
                    )
                    if owner is None:
                        report.fail(
                            f"entry {seq}: cancels buffer serials {f}-{la} the buffer does "
                            f"not hold",
                            seq,
                        )
                        continue
                    held, _whole = subtract(r.buffers[owner][2], [(iss, f, la)])
                    r.buffers[owner][2] = held
                    r.buffers[owner][3] = merge([*r.buffers[owner][3], (iss, f, la)])
                    r.counters[iss][0] -= la - f + 1
                    r.counters[iss][1] += la - f + 1
                stock = merge(_runs(body["stock_ranges"]))
                if body.get("stock_allocation") is not None:
                    r.stock[body["stock_allocation"]] = (seq, stock)
                for iss, f, la in stock:
                    r.counters[iss][2] += la - f + 1
                covered = body["buffer_kg"] + body["stock_kg"] + body["uncovered_kg"]
                if covered != body["estimated_kg"] or _kg(stock) != body["stock_kg"]:
                    report.fail(f"entry {seq}: the cover of loss {body['loss']} does not add up")
            elif kind == "loss_resolved":
                r.resolved[body["loss"]] = seq
        except (KeyError, TypeError, AttributeError):
            report.fail(f"entry {seq}: a {kind} entry without its fields", seq)
    return r


def check(report: _Report, raw: _Rows, entries: list[tuple[int, str, dict[str, Any]]]) -> Replay:
    """Buffer and loss allocations, their ranges, and the losses table, against the log.
    Returns the replay (``audit_check`` compares the issuance counters with it)."""
    r = replay(report, entries)
    allocations = {
        aid: (state, qty)
        for aid, state, qty in raw.all(
            "SELECT id, state, quantity_kg FROM allocations "
            "WHERE state IN ('buffer', 'cancelled') ORDER BY id"
        )
    }
    ranges: dict[int, dict[str, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for aid, iss, first, last, state in raw.all(
        "SELECT allocation_id, issuance_id, first, last, state FROM serial_ranges "
        "WHERE state IN ('buffer', 'cancelled') ORDER BY allocation_id, first"
    ):
        ranges[aid][state].append((iss, first, last))
    for aid, (seq, qty, held, used) in r.buffers.items():
        row = allocations.pop(aid, None)
        if row is None:
            report.fail(f"allocations row {aid} is missing (ledger entry {seq} names it)", seq)
            continue
        if row != ("buffer", qty):
            report.row("allocations", aid, seq, f"{row}, ledger says buffer of {qty} kg")
        got = ranges.pop(aid, {})
        if merge(got.get("buffer", [])) != merge(held):
            report.row(
                "serial_ranges",
                f"of allocation {aid}",
                seq,
                f"buffer serials {_fmt(got.get('buffer', []))}, ledger says {_fmt(held)}",
            )
        if merge(got.get("cancelled", [])) != merge(used):
            report.row(
                "serial_ranges",
                f"of allocation {aid}",
                seq,
                f"cancelled buffer serials {_fmt(got.get('cancelled', []))}, "
                f"ledger says {_fmt(used)}",
            )
    for aid, (seq, runs) in r.stock.items():
        row = allocations.pop(aid, None)
        if row is None:
            report.fail(f"allocations row {aid} is missing (ledger entry {seq} names it)", seq)
            continue
        if row != ("cancelled", _kg(runs)):
            report.row("allocations", aid, seq, f"{row}, ledger says cancelled {_kg(runs)} kg")
        got = ranges.pop(aid, {})
        if got.get("buffer") or merge(got.get("cancelled", [])) != runs:
            report.row(
                "serial_ranges",
                f"of allocation {aid}",
                seq,
                f"cancelled serials {_fmt(got.get('cancelled', []))}, ledger says {_fmt(runs)}",
            )
    for aid, (state, _qty) in allocations.items():
        report.row("allocations", aid, None, f"state {state!r} but no ledger entry records it")
    for aid in ranges:
        report.row("serial_ranges", f"of allocation {aid}", None, "no ledger entry records them")
    _check_losses(report, raw, r)
    return r


def _check_losses(report: _Report, raw: _Rows, r: Replay) -> None:
    rows = raw.all(
        "SELECT l.id, p.code, l.status, l.estimated_kg, l.buffer_kg, l.stock_kg, "
        "l.uncovered_kg, l.cancellation_seq FROM losses l "
        "JOIN sink_projects p ON p.id = l.project_id ORDER BY l.id"
    )
    seen = set()
    for lid, code, status, estimated, buf, stock, uncovered, link in rows:
        seen.add(lid)
        seq, body = r.cancellations.get(lid, (None, None))
        if status in ("reported", "rejected"):
            if body is not None:
                report.row("losses", lid, seq, f"status {status!r} but the ledger cancelled it")
            continue
        if body is None:
            report.row("losses", lid, None, f"status {status!r} but no cancellation entry")
            continue
        shown = {
            "project": code,
            "estimated_kg": estimated,
            "buffer_kg": buf,
            "stock_kg": stock,
            "uncovered_kg": uncovered,
        }
        for name, value in shown.items():
            if body.get(name) != value:
                report.row("losses", lid, seq, f"{name} {value!r}, ledger says {body.get(name)!r}")
        if link != seq:
            report.row("losses", lid, seq, f"cancellation_seq {link}, ledger says {seq}")
        resolved = lid in r.resolved
        if resolved != (status == "resolved"):
            report.row(
                "losses",
                lid,
                r.resolved.get(lid, seq),
                f"status {status!r} but the ledger says {'resolved' if resolved else 'confirmed'}",
            )
    for lid in set(r.cancellations) - seen:
        seq = r.cancellations[lid][0]
        report.fail(f"losses row {lid} is missing (ledger entry {seq} names it)", seq)
