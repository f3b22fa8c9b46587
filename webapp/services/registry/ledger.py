"""The public, append-only ledger as an RFC 6962 Merkle log stored in the database.

Appends take the single ``ledger_head`` row under a lock, so entries are numbered without
gaps and every registry write is serialised with them. Each append stores the entry's leaf
hash and the hashes of the perfect subtrees it completes (``merkle_nodes``), so roots and
proofs need O(log n) look-ups rather than a pass over the whole log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.models import LedgerEntry, LedgerHead, MerkleNode, TreeHead
from webapp.models.base import utcnow
from webapp.services.registry import merkle
from webapp.services.registry.canonical import canonical_json, entry_hash
from webapp.services.signing import Keyring, SigningKey, sign_tree_head

BODY_VERSION = 1


def iso_utc(ts: datetime) -> str:
    """UTC timestamp with millisecond precision, as written into entry bodies."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def lock_head(session: Session) -> LedgerHead:
    """The ledger head row, locked for this transaction (created on first use)."""
    head = session.scalar(select(LedgerHead).where(LedgerHead.id == 1).with_for_update())
    if head is not None:
        return head
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(LedgerHead)
        .values(id=1, size=0, frontier="", last_hash="", next_serial=1)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return session.scalars(select(LedgerHead).where(LedgerHead.id == 1).with_for_update()).one()


def _frontier(head: LedgerHead) -> list[tuple[int, bytes]]:
    if not head.frontier:
        return []
    return [
        (int(level), bytes.fromhex(h))
        for level, h in (item.split(":") for item in head.frontier.split(","))
    ]


def _store_frontier(head: LedgerHead, frontier: list[tuple[int, bytes]]) -> None:
    head.frontier = ",".join(f"{level}:{h.hex()}" for level, h in frontier)


def _fold(frontier: list[tuple[int, bytes]]) -> bytes:
    if not frontier:
        return merkle.EMPTY_ROOT
    acc = frontier[-1][1]
    for _level, h in reversed(frontier[:-1]):
        acc = merkle.node_hash(h, acc)
    return acc


def append(
    session: Session,
    head: LedgerHead,
    kind: str,
    body: dict[str, Any],
    *,
    project_id: int | None = None,
    allocation_id: int | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Append one entry. ``head`` must have been taken with :func:`lock_head`."""
    now = now or utcnow()
    seq = head.size
    full = {
        "v": BODY_VERSION,
        "seq": seq,
        "kind": kind,
        "at": iso_utc(now),
        "prev": head.last_hash,
        **body,
    }
    text = canonical_json(full)
    leaf = entry_hash(full)
    entry = LedgerEntry(
        seq=seq,
        kind=kind,
        body=text,
        leaf_hash=leaf,
        created_at=now,
        project_id=project_id,
        allocation_id=allocation_id,
    )
    session.add(entry)

    frontier = _frontier(head)
    level, node, index = 0, leaf, seq
    while frontier and frontier[-1][0] == level:
        _, left = frontier.pop()
        node = merkle.node_hash(left, node)
        level += 1
        index //= 2
        session.add(MerkleNode(level=level, index=index, hash=node))
    frontier.append((level, node))
    _store_frontier(head, frontier)
    head.size = seq + 1
    head.last_hash = leaf.hex()
    session.flush()
    return entry


def current_root(head: LedgerHead) -> bytes:
    return _fold(_frontier(head))


class _StoredTree:
    """Subtree hashes for proofs, read from stored leaves and perfect-subtree nodes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self.cache:
            if level == 0:
                value = self.session.scalar(
                    select(LedgerEntry.leaf_hash).where(LedgerEntry.seq == index)
                )
            else:
                value = self.session.scalar(
                    select(MerkleNode.hash).where(
                        MerkleNode.level == level, MerkleNode.index == index
                    )
                )
            if value is None:
                raise LookupError(f"missing Merkle node {level}/{index}")
            self.cache[key] = bytes(value)
        return self.cache[key]

    def range_hash(self, start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:  # a stored perfect subtree
            return self.node(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return merkle.node_hash(self.range_hash(start, start + k), self.range_hash(start + k, end))


def root_at(session: Session, size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return _StoredTree(session).range_hash(0, size)


def inclusion_proof(session: Session, seq: int, tree_size: int) -> list[bytes]:
    return merkle.inclusion_proof_from(seq, tree_size, _StoredTree(session).range_hash)


def consistency_proof(session: Session, old_size: int, new_size: int) -> list[bytes]:
    return merkle.consistency_proof_from(old_size, new_size, _StoredTree(session).range_hash)


def size(session: Session) -> int:
    return session.scalar(select(LedgerHead.size).where(LedgerHead.id == 1)) or 0


def signed_head_now(session: Session, key: SigningKey, now_ms: int | None = None) -> dict[str, Any]:
    """A freshly signed head for the current size; read-only (nothing is stored)."""
    head = session.get(LedgerHead, 1)
    root = current_root(head) if head else merkle.EMPTY_ROOT
    now_ms = now_ms if now_ms is not None else int(utcnow().timestamp() * 1000)
    return sign_tree_head(key, head.size if head else 0, root, now_ms)


def publish_tree_head(session: Session, key: SigningKey, now_ms: int) -> dict[str, Any]:
    """Sign and keep the head for the current size (once per size), so later heads can be
    proven consistent with it and ``verify`` can check it."""
    head = session.get(LedgerHead, 1)
    tree_size = head.size if head else 0
    stored = session.scalar(select(TreeHead).where(TreeHead.tree_size == tree_size))
    if stored is not None:
        return tree_head_dict(stored)
    root = current_root(head) if head else merkle.EMPTY_ROOT
    sth = sign_tree_head(key, tree_size, root, now_ms)
    session.add(
        TreeHead(
            tree_size=tree_size,
            root_hash=root,
            timestamp_ms=now_ms,
            key_id=key.key_id,
            signature=bytes.fromhex(sth["signature"]),
        )
    )
    return sth


def tree_head_dict(th: TreeHead) -> dict[str, Any]:
    return {
        "tree_size": th.tree_size,
        "timestamp": th.timestamp_ms,
        "root_hash": bytes(th.root_hash).hex(),
        "kid": th.key_id,
        "signature": bytes(th.signature).hex(),
    }


def entries_after(session: Session, after: int, limit: int) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.seq > after)
            .order_by(LedgerEntry.seq)
            .limit(limit)
        )
    )


# --- verification -----------------------------------------------------------------------


@dataclass
class VerifyReport:
    entries: int = 0
    tree_heads: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, seq: int | None = None) -> None:
        if seq is not None and self.first_bad_seq is None:
            self.first_bad_seq = seq
        self.problems.append(message)


def stream(session: Session, batch: int = 5000) -> Iterator[tuple[int, str, str, bytes]]:
    last = -1
    while True:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.leaf_hash)
            .where(LedgerEntry.seq > last)
            .order_by(LedgerEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def verify(session: Session, keyring: Keyring):
    """Recompute every hash, the chain, the Merkle roots and the signed heads from scratch.

    Names the first entry that does not match. Streams the log: memory stays O(log n).
    The public tables are checked against the log by ``audit_check.verify_registry``.
    """
    from webapp.services.registry import audit_check

    report, _facts = audit_check.check_log(session, keyring, parse_all=True)
    return report
