"""`registry verify`: the ledger proves everything the public register shows.

Two streaming passes over one snapshot of the database:

1. **The log** (:func:`check_log`), in ``seq`` order: every leaf hash recomputed in bulk
   over the stored bytes (``SHA-256(0x00 ‖ body)``), the ``prev`` chain, the Merkle root at
   every stored signed tree head (which makes the stored heads consistent with each other
   and with the log), their Ed25519 signatures, the ledger head row and the number of stored
   Merkle nodes. Bodies of entries that belong to an allocation are parsed in pass 2 only,
   so each body is parsed once.
2. **The public tables against the log** (:func:`check_public`), allocation by allocation
   in id order (keyset batches): each allocation's ledger entries are replayed and the row
   must show what they say — state, quantity, the name as shown (``beneficiary_public``),
   purpose, purpose detail, case number and court, the retirement entry it links to, and
   its serial ranges (held and returned); each certificate of the allocation must state the
   holder and quantity of its retirement and may be valid only while the ledger says the
   serials are retired; issuance rows must match their ``issuance``/``approval``/
   ``issuance_status`` entries, counters and serial ranges must match the replayed totals,
   and sponsored plots (and plot certificates) must show the sponsor name of their latest
   ``sponsorship`` entry.

Memory stays bounded: one batch of rows, the Merkle frontier, and per-issuance / per-plot
totals (a handful). A mismatch names the table, the row and the ledger entry.

Speed (a million entries in seconds, docs/BENCHMARKS.md): bodies travel as UTF-8 bytes over
binary cursors and are hashed and parsed in bulk; the cyclic GC is paused; a batch of
plain retirements is compared with list equality and replayed only if anything differs;
on PostgreSQL under REPEATABLE READ the two passes run at once in two processes on one
exported snapshot (:func:`verify_registry`).
"""

from __future__ import annotations

import binascii
import gc
import hashlib
import json
import operator
import os
import pickle
import queue
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

try:
    import orjson
except ImportError:  # pragma: no cover - the standard library does the same, slower
    orjson = None

from webapp.services.registry import audit_monitoring, buffer_audit, merkle
from webapp.services.signing import Keyring, verify_tree_head

ALLOCATION_KINDS = frozenset({"reservation", "retirement", "release", "reversal", "delivery"})
# How each allocation entry moves an issuance's (reserved_kg, retired_kg) counters.
# ``delivery`` (issue 18): delivered serials retired at once for a projected retirement.
MOVES = {
    "reservation": (1, 0),
    "retirement": (-1, 1),
    "release": (-1, 0),
    "reversal": (0, -1),
    "delivery": (0, 1),
}
SPONSORED = ("sponsored", "planted", "inspected", "failed", "replanted")

LOG_BATCH = 16_384  # 2**14: aligned batches hash as perfect subtrees
ALLOCATION_BATCH = 5_000


@dataclass
class AuditReport:
    entries: int = 0
    tree_heads: int = 0
    allocations: int = 0
    certificates: int = 0
    plots: int = 0
    issuances: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    # Problems past this many are counted, not listed: one bad import should not print
    # a million lines.
    max_problems: int = 50
    more: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, seq: int | None = None) -> None:
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq
        if len(self.problems) < self.max_problems:
            self.problems.append(message)
        else:
            self.more += 1

    def row(self, table: str, row: object, seq: int | None, message: str) -> None:
        """A public row that disagrees with the ledger: name all three."""
        entry = f"ledger entry {seq}" if seq is not None else "no ledger entry"
        self.fail(f"{table} row {row}: {message} ({entry})", seq=seq)


# --- database access (DB-API cursors: a million rows through ORM objects is too slow) ---


class _Raw:
    """Plain DB-API cursors on the session's own connection (same transaction/snapshot)."""

    def __init__(self, session: Session | None = None, *, dbapi: Any = None) -> None:
        if session is not None:
            conn = session.connection()
            self.dbapi = conn.connection.dbapi_connection
            self.postgresql = conn.dialect.name == "postgresql"
        else:  # a PostgreSQL connection of its own (the parallel log pass)
            self.dbapi = dbapi
            self.postgresql = True

    def utf8(self, column: str) -> str:
        """SQL for a text column's UTF-8 bytes: hashed and parsed as they are, without
        decoding a million bodies to Python strings and encoding them again."""
        return f"convert_to({column}, 'UTF8')" if self.postgresql else f"CAST({column} AS BLOB)"

    def _sql(self, sql: str) -> str:
        return re.sub(r":(\w+)", r"%(\1)s", sql) if self.postgresql else sql

    def _cursor(self, name: str | None = None) -> Any:
        """Binary results on PostgreSQL: bytea and integers as they are stored, no text
        escaping and parsing of a million hashes and bodies."""
        if not self.postgresql:
            return self.dbapi.cursor()
        if name is None:
            return self.dbapi.cursor(binary=True)
        return self.dbapi.cursor(name=name, binary=True)

    def all(self, sql: str, **params: Any) -> list[tuple]:
        cur = self._cursor()
        try:
            cur.execute(self._sql(sql), params)
            return cur.fetchall()
        finally:
            cur.close()

    def stream(self, sql: str, batch: int, **params: Any) -> Iterator[list[tuple]]:
        """Rows in batches; a server-side cursor on PostgreSQL so memory stays flat."""
        if self.postgresql:
            cur = self._cursor(name="registry_verify")
            cur.itersize = batch
        else:
            cur = self._cursor()
        try:
            cur.execute(self._sql(sql), params)
            while rows := cur.fetchmany(batch):
                yield rows
        finally:
            cur.close()


def _ahead(batches: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """The items of ``batches``, the next ones read in a thread while the caller works on
    the current one: PostgreSQL scans and sends on the other core meanwhile (the driver
    releases the GIL while it waits). The connection is used by that thread alone until
    this generator is closed, which stops and joins it. Not for SQLite, whose connection
    belongs to the thread that made it."""
    items: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put((True, batch)):
                    return
            put((False, None))
        except BaseException as exc:  # handed to the caller, raised there
            put((False, exc))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=produce, name="registry-verify-reader", daemon=True)
    reader.start()
    try:
        while True:
            more, item = items.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        reader.join()


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer")


def parse_canonical(body: str) -> dict[str, Any]:
    """The parsed body; ValueError unless the text is exactly its canonical JSON."""
    parsed = _DECODER.decode(body)
    if not isinstance(parsed, dict):
        raise ValueError("not a JSON object")
    if _ENCODER.encode(parsed) != body:
        raise ValueError("not in canonical form")
    return parsed


_PREV = re.compile(rb'"prev":"([^"]*)"')
_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _parse_many(bodies: list[bytes]) -> list[dict[str, Any]] | None:
    """Parse many canonical bodies with one decode and one encode of the JSON array they
    make; None if any of them is not a canonical JSON object (the caller then looks at
    them one by one, with the exact checks of :func:`parse_canonical`, to name it).

    orjson when installed: its sorted-key compact output escapes exactly like the
    canonical form (``JSON.stringify`` with sorted keys), and it is several times faster.
    Unlike :func:`parse_canonical` this path does not reject a float that re-encodes to
    the same text (``1.5``): the writer (``canonical_json``) cannot produce one and the
    leaf hash commits to the exact bytes, so only the error message would differ.
    """
    if not bodies:
        return []
    joined = b"[" + b",".join(bodies) + b"]"
    try:
        parsed = orjson.loads(joined) if orjson else _DECODER.decode(joined.decode())
    except ValueError:
        return None
    if len(parsed) != len(bodies) or set(map(type, parsed)) != {dict}:
        return None
    try:
        if orjson is not None:
            again = orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
        else:
            again = _ENCODER.encode(parsed).encode()
    except (TypeError, ValueError):
        return None
    return parsed if again == joined else None


def _check_body(
    report: AuditReport, seq: int, kind: str, body: str | bytes, allocation_id: int | None
) -> dict[str, Any] | None:
    try:
        parsed = parse_canonical(body.decode() if isinstance(body, bytes) else body)
    except ValueError as exc:
        report.fail(f"entry {seq} body is not valid canonical JSON ({exc})", seq=seq)
        return None
    if parsed.get("seq") != seq or parsed.get("kind") != kind:
        report.fail(f"entry {seq} was altered: number or kind differ from its body", seq=seq)
        return None
    if kind in ALLOCATION_KINDS and parsed.get("allocation") != allocation_id:
        report.fail(
            f"ledger_entries row {seq}: allocation_id {allocation_id} but its body names "
            f"allocation {parsed.get('allocation')}",
            seq=seq,
        )
        return None
    return parsed


# --- pass 1: the log ---------------------------------------------------------------------


@dataclass
class _LogFacts:
    """What pass 1 keeps from the few entries that are not about one allocation."""

    issuances: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    issuance_status: dict[int, tuple[int, str]] = field(default_factory=dict)
    # (site code, plot code) -> (seq, sponsored?, public name, dedication)
    plots: dict[tuple[str, str], tuple[int, bool, str | None, str | None]] = field(
        default_factory=dict
    )
    # public id -> seq of the ``revocation`` entry that names it
    revoked: dict[str, int] = field(default_factory=dict)
    # --- buffer pool and losses (issue 18): buffer_audit replays these ---
    buffer_entries: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


def _note(facts: _LogFacts, seq: int, kind: str, body: dict[str, Any]) -> None:
    if kind == "issuance":
        facts.issuances[body["issuance"]] = (seq, body)
        facts.issuance_status[body["issuance"]] = (seq, "draft")
    elif kind == "approval":
        facts.issuance_status[body["issuance"]] = (seq, "approved")
    elif kind == "issuance_status":
        facts.issuance_status[body["issuance"]] = (seq, body["status"])
    elif kind == "sponsorship":
        names = body.get("dedicated_to") or [body.get("sponsor")] * len(body["plots"])
        for code, name in zip(body["plots"], names, strict=False):
            facts.plots[(body["site"], code)] = (seq, True, name, body.get("dedication"))
    elif kind == "revocation":
        for public_id in body.get("certificates", []):
            facts.revoked.setdefault(public_id, seq)
    elif kind in buffer_audit.KINDS:
        facts.buffer_entries.append((seq, kind, body))
    elif kind == "sponsorship_withdrawn":
        for code in body.get("freed", []):
            facts.plots[(body["site"], code)] = (seq, False, None, None)
        for code in body.get("kept_planted", []):
            facts.plots[(body["site"], code)] = (seq, True, None, None)


def check_log(
    session: Session | _Raw,
    keyring: Keyring,
    report: AuditReport | None = None,
    *,
    parse_all: bool = True,
    batch: int = LOG_BATCH,
) -> tuple[AuditReport, _LogFacts]:
    """Pass 1. ``parse_all=False`` leaves allocation entries' bodies to pass 2."""
    report = report or AuditReport()
    facts = _LogFacts()
    raw = session if isinstance(session, _Raw) else _Raw(session)
    heads = raw.all(
        "SELECT tree_size, root_hash, timestamp_ms, key_id, signature FROM tree_heads "
        "ORDER BY tree_size"
    )
    head_row = raw.all("SELECT size, frontier, last_hash FROM ledger_head WHERE id = 1")
    head_i = 0
    compact = merkle.CompactRange()
    sha256 = hashlib.sha256
    prev_hex = ""
    expected = 0

    def check_heads() -> None:
        nonlocal head_i
        size_now = compact.size
        while head_i < len(heads) and heads[head_i][0] <= size_now:
            tree_size, root, ts, kid, sig = heads[head_i]
            head_i += 1
            if tree_size != size_now:
                continue  # before this pass's position only when sizes repeat: impossible
            report.tree_heads += 1
            if bytes(root) != compact.root():
                report.fail(
                    f"tree_heads row at size {tree_size}: signed tree head does not match "
                    f"the entries before it (ledger entry {max(0, tree_size - 1)})",
                    seq=max(0, tree_size - 1),
                )
            sth = {
                "tree_size": tree_size,
                "timestamp": ts,
                "root_hash": bytes(root).hex(),
                "kid": kid,
                "signature": bytes(sig).hex(),
            }
            if not verify_tree_head(keyring, sth):
                report.fail(f"tree_heads row at size {tree_size}: bad signature")

    check_heads()
    # raw.utf8 returns one of two constant expressions: nothing from outside goes in.
    sql = (
        f"SELECT seq, kind, {raw.utf8('body')}, leaf_hash, allocation_id "  # noqa: S608
        "FROM ledger_entries ORDER BY seq"
    )

    def one_by_one(rows: list[tuple]) -> bool:
        """Entry by entry: names the first entry that does not match."""
        nonlocal prev_hex, expected
        leaves: list[bytes] = []
        cut = heads[head_i][0] if head_i < len(heads) else -1
        for seq, kind, body, stored_leaf, allocation_id in rows:
            if seq != expected:
                report.fail(
                    f"entry {expected} is missing (next entry found is {seq})", seq=expected
                )
                return False
            leaf = sha256(b"\x00" + body).digest()
            if leaf != stored_leaf:
                report.fail(f"entry {seq} was altered: its hash does not match its body", seq=seq)
                return False
            text = body.decode()
            at = text.find('"prev":"')
            recorded = text[at + 8 : text.find('"', at + 8)] if at >= 0 else None
            if recorded != prev_hex:
                bad = max(0, seq - 1)
                report.fail(
                    f"entry {bad} was altered: entry {seq} records a different hash for it",
                    seq=bad,
                )
                return False
            if parse_all or kind not in ALLOCATION_KINDS:
                parsed = _check_body(report, seq, kind, text, allocation_id)
                if parsed is None:
                    return False
                if kind not in ALLOCATION_KINDS:
                    _note(facts, seq, kind, parsed)
            elif allocation_id is None:
                report.fail(
                    f"ledger_entries row {seq}: a {kind} entry without allocation_id", seq=seq
                )
                return False
            prev_hex = leaf.hex()
            expected += 1
            leaves.append(leaf)
            if expected == cut:
                compact.extend(leaves)
                leaves = []
                check_heads()
                cut = heads[head_i][0] if head_i < len(heads) else -1
        compact.extend(leaves)
        return True

    stream = raw.stream(sql, batch)
    if raw.postgresql:
        stream = _ahead(stream)
    with closing(stream):
        for rows in stream:
            # In bulk: one list comprehension per check, one JSON decode/encode per batch.
            # Anything unexpected falls back to one_by_one, which names the entry.
            n = len(rows)
            seqs, kinds, bodies, stored, allocation_ids = zip(*rows, strict=True)
            leaves = [sha256(b"\x00" + body).digest() for body in bodies]
            # The predecessor's hash, found without parsing: in canonical JSON the text
            # "prev":" can only be a key (a quote inside a string is escaped); a second match
            # or a miss takes the slow path.
            # Each recorded hash is 64 characters, so the joined texts are equal only if
            # each one is the lowercase hex of the leaf before it.
            prevs = _PREV.findall(b"\n".join(bodies))
            ok = (
                seqs == tuple(range(expected, expected + n))
                and leaves == list(stored)
                and len(prevs) == n
                and prevs[0] == prev_hex.encode()
                and set(map(len, prevs[1:])) <= {64}
                and b"".join(prevs[1:]) == binascii.hexlify(b"".join(leaves[:-1]))
            )
            if ok:
                wanted = (
                    range(n)
                    if parse_all
                    else [i for i, kind in enumerate(kinds) if kind not in ALLOCATION_KINDS]
                )
                parsed = _parse_many([bodies[i] for i in wanted])
                ok = parsed is not None and all(
                    body.get("seq") == seqs[i]
                    and body.get("kind") == kinds[i]
                    and (
                        kinds[i] not in ALLOCATION_KINDS
                        or body.get("allocation") == allocation_ids[i]
                    )
                    for i, body in zip(wanted, parsed, strict=True)
                )
                ok = ok and not any(
                    a is None and k in ALLOCATION_KINDS
                    for k, a in zip(kinds, allocation_ids, strict=True)
                )
            if not ok:
                if not one_by_one(rows):
                    report.entries = expected
                    return report, facts
                continue
            for i, body in zip(wanted, parsed, strict=True):
                if kinds[i] not in ALLOCATION_KINDS:
                    _note(facts, seqs[i], kinds[i], body)
            base = expected
            pos = 0
            cut = heads[head_i][0] if head_i < len(heads) else -1
            while cut != -1 and cut <= base + n:
                compact.extend(leaves[pos : cut - base])
                pos = cut - base
                check_heads()
                cut = heads[head_i][0] if head_i < len(heads) else -1
            if pos == 0:
                compact.extend_aligned(leaves)
            else:
                compact.extend(leaves[pos:])
            prev_hex = leaves[-1].hex()
            expected += n
            report.entries = expected
            if report.problems:
                return report, facts
    report.entries = expected

    head_size, frontier, last_hash = head_row[0] if head_row else (0, "", "")
    if head_size != expected:
        report.fail(
            f"ledger_head row 1: records {head_size} entries but {expected} were found; "
            f"entry {expected} is missing",
            seq=min(expected, head_size),
        )
    else:
        folded = merkle.EMPTY_ROOT
        items = [item.split(":") for item in frontier.split(",")] if frontier else []
        if items:
            folded = bytes.fromhex(items[-1][1])
            for _level, h in reversed(items[:-1]):
                folded = merkle.node_hash(bytes.fromhex(h), folded)
        if folded != compact.root():
            report.fail(
                "ledger_head row 1: its root does not match the entries",
                seq=max(0, expected - 1),
            )
        if last_hash != prev_hex:
            report.fail(
                f"entry {expected - 1} was altered: the ledger head records a different "
                f"hash for it",
                seq=max(0, expected - 1),
            )
    if head_i < len(heads):
        report.fail(
            f"a signed tree head exists for size {heads[head_i][0]}, beyond the "
            f"{expected} entries found: entries were deleted",
            seq=expected,
        )
    stored_nodes = raw.all("SELECT count(*) FROM merkle_nodes")[0][0]
    if stored_nodes != expected - bin(expected).count("1"):
        report.fail(
            f"merkle_nodes: {stored_nodes} stored Merkle nodes, expected "
            f"{expected - bin(expected).count('1')}"
        )
    return report, facts


# --- pass 2: public tables against the log ------------------------------------------------


Run = tuple[int, int, int]  # (issuance, first, last)


def _merge(runs: list[Run]) -> list[Run]:
    """Sorted, adjacent runs of one issuance joined: a split range compares equal."""
    if len(runs) < 2:
        return list(runs)
    out: list[Run] = []
    for iss, first, last in sorted(runs, key=lambda r: (r[1], r[0])):
        if out and out[-1][0] == iss and out[-1][2] + 1 == first:
            out[-1] = (iss, out[-1][1], last)
        else:
            out.append((iss, first, last))
    return out


def _subtract(runs: list[Run], removed: list[Run]) -> list[Run]:
    out = _merge(runs)
    for iss, first, last in removed:
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
    return _merge(out)


def _runs(body_ranges: list[dict[str, int]]) -> list[Run]:
    return [(r["issuance"], r["first"], r["last"]) for r in body_ranges]


@dataclass(slots=True)
class _Expected:
    """An allocation as its ledger entries describe it."""

    state: str | None = None
    state_seq: int | None = None
    quantity: int | None = None
    quantity_seq: int | None = None
    quantities: set[int] = field(default_factory=set)
    public: dict[str, Any] = field(default_factory=dict)
    retirement_seq: int | None = None
    held: list[Run] = field(default_factory=list)
    all_runs: list[Run] = field(default_factory=list)

    def apply(self, seq: int, kind: str, body: dict[str, Any]) -> None:
        self.state_seq = seq
        if kind == "reservation":
            self.state = "reserved"
            self.quantity, self.quantity_seq = body["quantity_kg"], seq
            self.held = _merge(_runs(body["ranges"]))
            self.all_runs = list(self.held)
        elif kind in ("retirement", "delivery"):
            self.state = "retired"
            self.quantity, self.quantity_seq = body["quantity_kg"], seq
            self.quantities.add(body["quantity_kg"])
            self.retirement_seq = seq
            self.public = {
                "beneficiary_public": body.get("beneficiary"),
                "purpose": body.get("purpose"),
                "purpose_detail": body.get("purpose_detail"),
                "case_number": body.get("case_number"),
                "court": body.get("court"),
            }
            self.held = _merge(_runs(body["ranges"]))
            if kind == "delivery":  # no reservation before: these are all its serials
                self.all_runs = list(self.held)
        elif kind == "release":
            self.state = "expired" if body.get("reason") == "expired" else "released"
            self.held = []
        elif kind == "reversal":
            if "remaining_kg" in body:  # partial: the allocation keeps the rest retired
                self.quantity, self.quantity_seq = body["remaining_kg"], seq
                self.quantities.add(body["remaining_kg"])
                self.held = _subtract(self.held, _runs(body["ranges"]))
            else:
                self.state = "reversed"
                self.held = []


def _check_allocation(
    report: AuditReport,
    row: tuple,
    exp: _Expected,
    ranges: list[tuple],
) -> None:
    """One allocation row and its serial ranges ``(id, issuance, first, last, state)``."""
    aid, state, quantity, *public_values, retirement_seq = row
    if exp.state is None:
        report.row("allocations", aid, None, "no ledger entry records this allocation")
        return
    if state != exp.state:
        report.row("allocations", aid, exp.state_seq, f"state {state!r}, ledger says {exp.state!r}")
    if quantity != exp.quantity:
        report.row(
            "allocations",
            aid,
            exp.quantity_seq,
            f"quantity_kg {quantity}, ledger says {exp.quantity}",
        )
    if exp.retirement_seq is not None or any(v is not None for v in public_values):
        names = ("beneficiary_public", "purpose", "purpose_detail", "case_number", "court")
        for name, value in zip(names, public_values, strict=True):
            wanted = exp.public.get(name)
            if value != wanted:
                report.row(
                    "allocations",
                    aid,
                    exp.retirement_seq,
                    f"{name} is {value!r} but the retirement entry says {wanted!r}",
                )
    if retirement_seq != exp.retirement_seq:
        report.row(
            "allocations",
            aid,
            exp.retirement_seq,
            f"retirement_entry_seq {retirement_seq}, ledger says {exp.retirement_seq}",
        )
    held = [(iss, f, la) for _rid, iss, f, la, st in ranges if st != "returned"]
    every = [(iss, f, la) for _rid, iss, f, la, _st in ranges]
    held_state = {"reserved": "reserved", "retired": "retired"}.get(exp.state)
    for rid, _iss, f, la, st in ranges:
        if st != "returned" and st != held_state:
            report.row(
                "serial_ranges", rid, exp.state_seq, f"state {st!r} of allocation {aid} ({f}-{la})"
            )
    range_rows = f"{', '.join(str(r[0]) for r in ranges) or 'none'} (allocation {aid})"
    if _merge(held) != exp.held:
        report.row(
            "serial_ranges",
            range_rows,
            exp.state_seq,
            f"held serials {_fmt(_merge(held))}, ledger says {_fmt(exp.held)}",
        )
    if _merge(every) != exp.all_runs:
        report.row(
            "serial_ranges",
            range_rows,
            exp.state_seq,
            f"serials {_fmt(_merge(every))}, ledger reserved {_fmt(exp.all_runs)}",
        )


def _fmt(runs: list[Run]) -> str:
    return ", ".join(f"{f}-{la}" for _i, f, la in runs) or "none"


def _plain_retirement(
    row: tuple,
    group: list[tuple[int, str, dict[str, Any]]] | None,
    ranges: list[tuple] | None,
    certs: list[tuple] | None,
    revoked: dict[str, int],
) -> bool:
    """True for the common case, which then needs no replay: a reservation and then its
    retirement of the same serials, one retired range row, at most one certificate (valid,
    for the retired quantity and the name as shown), and a row that shows exactly that.
    Anything else (or any difference) goes through the full replay, which names it."""
    if group is None or len(group) != 2 or ranges is None or len(ranges) != 1:
        return False
    (_s, first_kind, reservation), (seq, second_kind, retirement) = group
    if first_kind != "reservation" or second_kind != "retirement":
        return False
    runs = retirement["ranges"]
    qty = retirement["quantity_kg"]
    name = retirement.get("beneficiary")
    if len(runs) != 1 or reservation["ranges"] != runs or reservation["quantity_kg"] != qty:
        return False
    run = runs[0]
    shown = (
        "retired",
        qty,
        name,
        retirement.get("purpose"),
        retirement.get("purpose_detail"),
        retirement.get("case_number"),
        retirement.get("court"),
        seq,
    )
    if tuple(row[1:]) != shown:
        return False
    if tuple(ranges[0][1:]) != (run["issuance"], run["first"], run["last"], "retired"):
        return False
    if certs is None:
        return True
    if len(certs) != 1:
        return False
    _cid, public_id, status, holder, quantity, parent_id = certs[0]
    return (
        status == "valid"
        and holder == name
        and quantity == qty
        and parent_id is None
        and public_id not in revoked
    )


def _check_status(
    report: AuditReport, label: str, public_id: str, status: str, revoked: dict[str, int]
) -> None:
    """A certificate's status against the ``revocation`` entries: both directions."""
    seq = revoked.get(public_id)
    if status == "valid" and seq is not None:
        report.row("certificates", label, seq, "status 'valid' but a revocation entry names it")
    elif status != "valid" and seq is None:
        report.row("certificates", label, None, f"status {status!r} but no revocation entry")


def _check_certificates(
    report: AuditReport,
    exp: _Expected | None,
    aid: int,
    certs: list[tuple],
    revoked: dict[str, int],
) -> None:
    """Certificates of one allocation: (id, public_id, status, holder_public, quantity,
    parent_id)."""
    by_id = {c[0]: c for c in certs}
    children_kg: dict[int, int] = defaultdict(int)
    for cid, public_id, status, holder, quantity, parent_id in certs:
        label = f"{cid} ({public_id})"
        report.certificates += 1
        _check_status(report, label, public_id, status, revoked)
        if exp is None or exp.retirement_seq is None:
            report.row("certificates", label, None, f"allocation {aid} was never retired")
            continue
        valid = status == "valid"
        if valid and exp.state != "retired":
            report.row(
                "certificates",
                label,
                exp.state_seq,
                f"status 'valid' but the ledger says the serials were {exp.state}",
            )
        if parent_id is not None:  # a personal share: its holder is not in the ledger
            parent = by_id.get(parent_id)
            if valid and (parent is None or parent[2] != "valid"):
                report.row(
                    "certificates",
                    label,
                    exp.state_seq,
                    f"status 'valid' but its parent certificate {parent_id} is not",
                )
            if valid:
                children_kg[parent_id] += quantity or 0
            continue
        if holder != exp.public.get("beneficiary_public"):
            report.row(
                "certificates",
                label,
                exp.retirement_seq,
                f"holder_public is {holder!r} but the retirement entry says "
                f"{exp.public.get('beneficiary_public')!r}",
            )
        if valid and quantity != exp.quantity:
            report.row(
                "certificates",
                label,
                exp.quantity_seq,
                f"quantity_kg {quantity} but the ledger says {exp.quantity} kg are retired",
            )
        elif not valid and quantity not in exp.quantities:
            report.row(
                "certificates",
                label,
                exp.retirement_seq,
                f"quantity_kg {quantity} was never retired by this allocation",
            )
    for parent_id, kg in children_kg.items():
        parent = by_id.get(parent_id)
        if parent is not None and kg > (parent[4] or 0):
            report.row(
                "certificates",
                f"{parent_id} ({parent[1]})",
                exp.retirement_seq if exp else None,
                f"its valid shares add up to {kg} kg, more than its {parent[4]} kg",
            )


_IDENTITY = operator.itemgetter("seq", "kind", "allocation")
_RES_RET = ("reservation", "retirement")
_RUN = operator.itemgetter("ranges", "quantity_kg")


def _bodies_match(bodies: list[dict[str, Any]], entries: list[tuple]) -> bool:
    """Every body states the number, kind and allocation of its row ``(seq, kind, body,
    allocation_id)``, compared in bulk (C-level ``map``/list equality)."""
    try:
        seqs, kinds, _texts, aids = zip(*entries, strict=True)
        return list(map(_IDENTITY, bodies)) == list(zip(seqs, kinds, aids, strict=True))
    except (KeyError, TypeError, ValueError):  # ValueError: no entries at all
        return not entries and not bodies


def _plain_batch(
    report: AuditReport,
    allocations: list[tuple],
    entries: list[tuple],
    range_rows: list[tuple],
    cert_rows: list[tuple],
    facts: _LogFacts,
    totals: dict[int, list[int]],
) -> bool:
    """A whole batch of allocations in bulk, when every one of them is the common case of
    :func:`_plain_retirement` (a reservation, then its retirement of the same single run,
    one retired range row, at most one valid certificate for the name and quantity
    retired, and a row that shows exactly that): list comparisons instead of a replay per
    allocation. Counts what it checked and returns True; returns False, having changed
    nothing, as soon as anything differs — the caller then replays the batch allocation
    by allocation, which names the row and the entry."""
    n = len(allocations)
    if len(entries) != 2 * n or len(range_rows) != n or len(cert_rows) > n:
        return False
    ids = tuple(row[0] for row in allocations)
    seqs, kinds, texts, aids = zip(*entries, strict=True)
    if kinds != _RES_RET * n or aids[0::2] != ids or aids[1::2] != ids:
        return False
    bodies = _parse_many(list(texts))
    if bodies is None or not _bodies_match(bodies, entries):
        return False
    reservations, retirements = bodies[0::2], bodies[1::2]
    try:
        runs = list(map(_RUN, retirements))
        if list(map(_RUN, reservations)) != runs:
            return False
        lists = [r for r, _q in runs]
        if set(map(type, lists)) != {list} or set(map(len, lists)) != {1}:
            return False
        shown = [
            (
                "retired",
                qty,
                b.get("beneficiary"),
                b.get("purpose"),
                b.get("purpose_detail"),
                b.get("case_number"),
                b.get("court"),
                seq,
            )
            for b, (_r, qty), seq in zip(retirements, runs, seqs[1::2], strict=True)
        ]
        if shown != [row[1:] for row in allocations]:
            return False
        held = [(r[0]["issuance"], r[0]["first"], r[0]["last"], "retired") for r, _q in runs]
    except (KeyError, TypeError, AttributeError):
        return False
    if tuple(r[0] for r in range_rows) != ids or [r[2:] for r in range_rows] != held:
        return False
    if cert_rows:
        owners = [c[0] for c in cert_rows]
        if len(set(owners)) != len(owners):
            return False
        retired = dict(zip(ids, ((s[2], s[1]) for s in shown), strict=True))
        try:
            wanted = [("valid", *retired[aid], None) for aid in owners]
        except KeyError:
            return False
        if [c[3:] for c in cert_rows] != wanted:
            return False
        if not facts.revoked.keys().isdisjoint(c[2] for c in cert_rows):
            return False
    # A reservation and its retirement of the same serials: reserved_kg back to where it
    # was, retired_kg up by the run.
    for issuance, first, last, _state in held:
        totals[issuance][1] += last - first + 1
    report.allocations += n
    report.certificates += len(cert_rows)
    return True


def _allocation_batches(
    raw: _Raw, batch: int, first: int = 0, upto: int | None = None
) -> Iterator[tuple]:
    """Allocations with ``first < id <= upto`` in id order (keyset batches), each batch
    with its ledger entries, serial ranges and certificates: ``(allocations, entries,
    ranges, certificates, hi)``."""
    last = first
    top = 2**62 if upto is None else upto
    while True:
        allocations = raw.all(
            "SELECT id, state, quantity_kg, beneficiary_public, purpose, purpose_detail, "
            "case_number, court, retirement_entry_seq FROM allocations "
            "WHERE id > :lo AND id <= :top AND state NOT IN ('buffer', 'cancelled') "
            "ORDER BY id LIMIT :n",
            lo=last,
            top=top,
            n=batch,
        )
        if not allocations:
            return
        lo, hi = last, allocations[-1][0]
        # Each allocation's entries together, in ledger order within it.
        entries = raw.all(
            f"SELECT seq, kind, {raw.utf8('body')}, allocation_id "  # noqa: S608
            "FROM ledger_entries WHERE allocation_id > :lo AND allocation_id <= :hi "
            "ORDER BY allocation_id, seq",
            lo=lo,
            hi=hi,
        )
        range_rows = raw.all(
            "SELECT allocation_id, id, issuance_id, first, last, state FROM serial_ranges "
            "WHERE allocation_id > :lo AND allocation_id <= :hi "
            "AND state NOT IN ('buffer', 'cancelled') ORDER BY allocation_id, id",
            lo=lo,
            hi=hi,
        )
        cert_rows = raw.all(
            "SELECT allocation_id, id, public_id, status, holder_public, quantity_kg, "
            "parent_id FROM certificates WHERE allocation_id > :lo AND allocation_id <= :hi "
            "ORDER BY allocation_id, id",
            lo=lo,
            hi=hi,
        )
        yield allocations, entries, range_rows, cert_rows, hi
        last = hi


def check_public(
    session: Session,
    report: AuditReport,
    facts: _LogFacts,
    *,
    batch: int = ALLOCATION_BATCH,
) -> AuditReport:
    """Pass 2: allocations, their entries, ranges and certificates; issuances; plots."""
    raw = _Raw(session)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    _check_allocations(raw, report, facts, totals, batch=batch)
    _check_rest(report, raw, facts, totals)
    return report


def _check_allocations(
    raw: _Raw,
    report: AuditReport,
    facts: _LogFacts,
    totals: dict[int, list[int]],
    *,
    batch: int = ALLOCATION_BATCH,
    first: int = 0,
    upto: int | None = None,
) -> None:
    """Allocations with ``first < id <= upto`` (``upto`` None: all the rest, and then no
    ledger entry may name an allocation beyond them); adds their moves to ``totals``."""
    last = first
    batches = _allocation_batches(raw, batch, first, upto)
    if raw.postgresql:
        batches = _ahead(batches)
    with closing(batches):
        for allocations, entries, range_rows, cert_rows, hi in batches:
            if _plain_batch(report, allocations, entries, range_rows, cert_rows, facts, totals):
                last = hi
                continue
            ranges: dict[int, list[tuple]] = defaultdict(list)
            for aid, *rest in range_rows:
                ranges[aid].append(tuple(rest))
            certs: dict[int, list[tuple]] = defaultdict(list)
            for aid, *rest in cert_rows:
                certs[aid].append(tuple(rest))
            expected: dict[int, _Expected] = {}
            entries = [e for e in entries if e[1] in ALLOCATION_KINDS]
            bodies = _parse_many([e[2] for e in entries])
            if bodies is None or not _bodies_match(bodies, entries):
                # Name the entries that are wrong; the others are replayed.
                bodies = [
                    _check_body(report, seq, kind, body, aid) for seq, kind, body, aid in entries
                ]
            grouped: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}
            for (seq, kind, _body, aid), parsed in zip(entries, bodies, strict=True):
                if parsed is None:
                    continue
                group = grouped.get(aid)
                if group is None:
                    grouped[aid] = [(seq, kind, parsed)]
                else:
                    group.append((seq, kind, parsed))
                d_res, d_ret = MOVES[kind]
                for r in parsed["ranges"]:
                    counter = totals[r["issuance"]]
                    qty = r["last"] - r["first"] + 1
                    counter[0] += d_res * qty
                    counter[1] += d_ret * qty
            known = set()
            for row in allocations:
                aid = row[0]
                known.add(aid)
                group = grouped.get(aid)
                rows = ranges.get(aid)
                own = certs.get(aid)
                if _plain_retirement(row, group, rows, own, facts.revoked):
                    # The common case, checked in one comparison of tuples.
                    report.allocations += 1
                    report.certificates += len(own) if own else 0
                    continue
                exp = expected[aid] = _Expected()
                for seq, kind, parsed in group or ():
                    exp.apply(seq, kind, parsed)
                _check_allocation(report, row, exp, rows or [])
                _check_certificates(report, exp, aid, own or [], facts.revoked)
                report.allocations += 1
            for aid, group in grouped.items():
                if aid not in known:
                    expected[aid] = _Expected(state_seq=group[-1][0])
            for aid, exp in expected.items():
                if aid not in known:
                    report.fail(
                        f"allocations row {aid} is missing (ledger entry {exp.state_seq} names it)",
                        seq=exp.state_seq,
                    )
            for aid in set(ranges) - known:
                report.row("serial_ranges", f"of allocation {aid}", None, "allocation is missing")
            for aid in set(certs) - known:
                for cert in certs[aid]:
                    report.row("certificates", cert[0], None, f"allocation {aid} is missing")
            last = hi
    if upto is not None:
        return
    for (seq,) in raw.all("SELECT min(seq) FROM ledger_entries WHERE allocation_id > :hi", hi=last):
        if seq is not None:
            report.fail(f"ledger entry {seq} names an allocation that is missing", seq=seq)


def _check_rest(
    report: AuditReport, raw: _Raw, facts: _LogFacts, totals: dict[int, list[int]]
) -> None:
    """Issuances against the replayed totals, plots, and certificates that name nothing."""
    _check_issuances(report, raw, facts, totals)
    _check_plots(report, raw, facts)
    audit_monitoring.check(report, raw)
    for cid, public_id in raw.all(
        "SELECT id, public_id FROM certificates WHERE allocation_id IS NULL AND plot_id IS NULL"
    ):
        report.row("certificates", f"{cid} ({public_id})", None, "names no retirement or plot")


def _check_issuances(
    report: AuditReport, raw: _Raw, facts: _LogFacts, totals: dict[int, list[int]]
) -> None:
    held: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    # --- buffer pool and losses (issue 18): buffer, used buffer, cancelled stock ---
    pool: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for iid, state, from_buffer, qty in raw.all(
        "SELECT r.issuance_id, r.state, a.state = 'buffer', sum(r.last - r.first + 1) "
        "FROM serial_ranges r JOIN allocations a ON a.id = r.allocation_id "
        "WHERE r.state <> 'returned' GROUP BY r.issuance_id, r.state, a.state = 'buffer'"
    ):
        if state in ("reserved", "retired"):
            held[iid][0 if state == "reserved" else 1] += int(qty)
        elif state == "buffer":
            pool[iid][0] += int(qty)
        elif state == "cancelled":
            pool[iid][1 if from_buffer else 2] += int(qty)
    replayed = buffer_audit.check(report, raw, facts.buffer_entries)
    rows = raw.all(
        "SELECT i.id, p.code, i.vintage, i.serial_first, i.serial_last, i.delivery, "
        "i.status, i.reserved_kg, i.retired_kg, i.buffer_held_kg, i.buffer_used_kg, "
        "i.cancelled_kg FROM issuances i "
        "JOIN sink_projects p ON p.id = i.project_id ORDER BY i.id"
    )
    for row in rows:
        iid, code, vintage, first, last, delivery, status, reserved, retired = row[:9]
        buffer_counters = tuple(row[9:])
        ledger_pool = tuple(replayed.counters.get(iid, [0, 0, 0]))
        ranges_pool = tuple(pool.get(iid, [0, 0, 0]))
        if not (buffer_counters == ledger_pool == ranges_pool):
            report.fail(
                f"issuances row {iid}: counters buffer held/used/cancelled {buffer_counters}, "
                f"ledger {ledger_pool}, serial ranges {ranges_pool}"
            )
        report.issuances += 1
        seq, body = facts.issuances.get(iid, (None, None))
        if body is None:
            report.row("issuances", iid, None, "no issuance entry in the ledger")
            continue
        shown = {
            "project": code,
            "vintage": vintage,
            "serial_first": first,
            "serial_last": last,
            "delivery": delivery,
        }
        for name, value in shown.items():
            if body.get(name) != value:
                report.row(
                    "issuances", iid, seq, f"{name} {value!r}, ledger says {body.get(name)!r}"
                )
        status_seq, wanted = facts.issuance_status.get(iid, (seq, "draft"))
        if status != wanted:
            report.row("issuances", iid, status_seq, f"status {status!r}, ledger says {wanted!r}")
        counters = (reserved, retired)
        ledger_says = tuple(totals.get(iid, [0, 0]))
        ranges_say = tuple(held.get(iid, [0, 0]))
        if not (counters == ledger_says == ranges_say):
            report.fail(
                f"issuances row {iid}: counters reserved/retired {counters}, "
                f"ledger {ledger_says}, serial ranges {ranges_say}"
            )
        if reserved + retired + sum(buffer_counters) > last - first + 1:
            report.fail(f"issuances row {iid} is oversold")
    for iid in set(facts.issuances) - {r[0] for r in rows}:
        seq = facts.issuances[iid][0]
        report.fail(f"issuances row {iid} is missing (ledger entry {seq} names it)", seq=seq)


def _check_plots(report: AuditReport, raw: _Raw, facts: _LogFacts) -> None:
    plots = raw.all(
        "SELECT p.id, s.code, p.code, p.status, p.sponsor_public, p.dedication_kind "
        "FROM plots p JOIN memorial_sites s ON s.id = p.site_id ORDER BY p.id"
    )
    by_id = {}
    for pid, site, code, status, public, dedication in plots:
        by_id[pid] = (site, code, status, public)
        seq, sponsored, name, wanted_dedication = facts.plots.get(
            (site, code), (None, False, None, None)
        )
        label = f"{pid} ({site}/{code})"
        if status in SPONSORED:
            report.plots += 1
            if not sponsored:
                report.row("plots", label, seq, f"status {status!r} but no sponsorship entry")
                continue
            if public != name:
                report.row(
                    "plots",
                    label,
                    seq,
                    f"sponsor_public is {public!r} but the sponsorship entry says {name!r}",
                )
            if dedication != wanted_dedication:
                report.row(
                    "plots",
                    label,
                    seq,
                    f"dedication_kind is {dedication!r}, ledger says {wanted_dedication!r}",
                )
        elif sponsored:
            report.row("plots", label, seq, f"status {status!r} but the ledger says sponsored")
    for cid, public_id, status, holder, plot_id, plot_code in raw.all(
        "SELECT id, public_id, status, holder_public, plot_id, plot_code FROM certificates "
        "WHERE kind = 'plot' ORDER BY id"
    ):
        report.certificates += 1
        label = f"{cid} ({public_id})"
        _check_status(report, label, public_id, status, facts.revoked)
        plot = by_id.get(plot_id)
        if plot is None:
            report.row("certificates", label, None, f"plot {plot_id} is missing")
            continue
        site, code, _status, _public = plot
        seq, sponsored, name, _ded = facts.plots.get((site, code), (None, False, None, None))
        if plot_code != code:
            report.row("certificates", label, seq, f"plot_code {plot_code!r}, plot is {code!r}")
        if status == "valid" and not sponsored:
            report.row("certificates", label, seq, "status 'valid' but the plot is not sponsored")
        elif status == "valid" and holder != name:
            report.row(
                "certificates",
                label,
                seq,
                f"holder_public is {holder!r} but the sponsorship entry says {name!r}",
            )


def verify_registry(session: Session, keyring: Keyring) -> AuditReport:
    """Both passes; the log first (a broken log makes the rest meaningless).

    The cyclic garbage collector is paused meanwhile: parsing a million bodies creates
    tens of millions of short-lived containers (none of them in a cycle), and each
    collection it triggers would walk all the live ones again — about half the CPU time.

    On PostgreSQL, inside a REPEATABLE READ transaction (``flask registry verify``), the
    two passes run at once on the machine's cores: a forked process checks the log and the
    upper part of the allocations on a connection of its own that imports this
    transaction's snapshot, while this one checks the other allocations. The result is the
    same as one pass after the other: the public tables' problems are reported only when
    the log is intact.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        report = _verify_in_parallel(session, keyring)
        if report is None:
            report, facts = check_log(session, keyring, parse_all=False)
            if report.ok:
                check_public(session, report, facts)
    finally:
        if enabled:
            gc.enable()
    return report


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


def _non_allocation_facts(raw: _Raw) -> _LogFacts | None:
    """What pass 1 notes from entries that are not about one allocation, read directly
    (a few rows); None if any body is not what pass 1 accepts (pass 1 then says why)."""
    facts = _LogFacts()
    scratch = AuditReport()
    for seq, kind, body, allocation_id in raw.all(
        "SELECT seq, kind, body, allocation_id FROM ledger_entries "
        "WHERE kind NOT IN ('reservation', 'retirement', 'release', 'reversal', 'delivery') "
        "ORDER BY seq"
    ):
        parsed = _check_body(scratch, seq, kind, body, allocation_id)
        if parsed is None:
            return None
        _note(facts, seq, kind, parsed)
    return facts


def _verify_in_parallel(session: Session, keyring: Keyring) -> AuditReport | None:
    """Pass 1 and the upper part of the allocations in a forked process while this one
    checks the lower part, then the issuances and plots; None when not possible. The
    child gets about 30 % of the allocations, as pass 1 takes about as long as the rest."""
    raw = _Raw(session)
    if not raw.postgresql or not hasattr(os, "fork"):
        return None
    if raw.all("SHOW transaction_isolation")[0][0] != "repeatable read":
        return None
    snapshot = raw.all("SELECT pg_export_snapshot()")[0][0]
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        return None
    facts = _non_allocation_facts(raw)
    if facts is None:
        return None
    count = raw.all("SELECT count(*) FROM allocations")[0][0]
    split = raw.all("SELECT id FROM allocations ORDER BY id LIMIT 1 OFFSET :k", k=count * 7 // 10)
    mid = split[0][0] if split else None
    url = session.get_bind().url.set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its passes on its own connection, pickled to the parent
        status = 1
        try:
            os.close(read_fd)
            import psycopg

            with psycopg.connect(conninfo) as conn:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                child_raw = _Raw(dbapi=conn)
                log, _facts = check_log(child_raw, keyring, parse_all=False)
                upper, upper_totals = AuditReport(), defaultdict(lambda: [0, 0])
                if log.ok and mid is not None:
                    _check_allocations(child_raw, upper, facts, upper_totals, first=mid)
                conn.rollback()
            with os.fdopen(write_fd, "wb") as out:
                pickle.dump((log, upper, dict(upper_totals)), out, pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    public = AuditReport()
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    try:
        _check_allocations(raw, public, facts, totals, upto=mid)
    finally:
        with os.fdopen(read_fd, "rb") as result_in:
            data = result_in.read()
        _pid, status = os.waitpid(pid, 0)
    if status == 0 and data:
        report, upper, upper_totals = pickle.loads(data)  # noqa: S301  (our own child's)
    else:  # the child could not connect or died: do its share here, on this snapshot
        report, _facts = check_log(session, keyring, parse_all=False)
        upper, upper_totals = AuditReport(), defaultdict(lambda: [0, 0])
        if report.ok and mid is not None:
            _check_allocations(raw, upper, facts, upper_totals, first=mid)
    if not report.ok:
        return report
    for part in (public, upper):
        for name in ("allocations", "certificates", "plots", "issuances", "more"):
            setattr(report, name, getattr(report, name) + getattr(part, name))
        report.problems.extend(part.problems)
        if part.first_bad_seq is not None and (
            report.first_bad_seq is None or part.first_bad_seq < report.first_bad_seq
        ):
            report.first_bad_seq = part.first_bad_seq
    for issuance, (reserved, retired) in upper_totals.items():
        totals[issuance][0] += reserved
        totals[issuance][1] += retired
    _check_rest(report, raw, facts, totals)
    return report
