"""Published signed tree heads: what proofs are given against, as Certificate Transparency
logs do, rather than a head signed for each request.

When heads are published (the maximum delay, see docs/PROTOCOLS.md):

* **with every registry write made through the app**: a transaction that appended ledger
  entries publishes the head of the new size just before it commits, in the same
  transaction (:func:`install` hooks the session), so the entry and a signed head that
  covers it become visible together: delay 0;
* **on a schedule** (the ``publish_tree_head`` periodic task, every
  :data:`PUBLISH_EVERY_SECONDS`): covers entries written by anything else (a command run
  without the app, a restore). A head is stored once per tree size, so a quiet ledger
  adds nothing.

A proof against a head costs one query: the proof's nodes, read together (and the
verify page builds it once per certificate state and head, ``certificates/freshness``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, event, literal, or_, select, union_all
from sqlalchemy.orm import Session

from webapp.models import LedgerEntry, MerkleNode, TreeHead
from webapp.models.base import utcnow
from webapp.services.registry import ledger, merkle
from webapp.services.signing import SigningKey

PUBLISH_EVERY_SECONDS = 60
_GREW = "tanhui_ledger_grew"


def latest(session: Session) -> TreeHead | None:
    """The latest published head (the largest tree size), or None before the first."""
    return session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))


def publish(session: Session, key: SigningKey, now_ms: int | None = None) -> dict[str, Any]:
    """Publish the head of the current size (once per size). Takes the ledger head lock,
    so it never races a writer's own publication of the same size. Does not commit."""
    ledger.lock_head(session)
    now_ms = now_ms if now_ms is not None else int(utcnow().timestamp() * 1000)
    return ledger.publish_tree_head(session, key, now_ms)


# --- publication with every write ------------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    if any(isinstance(obj, LedgerEntry) for obj in session.new):
        session.info[_GREW] = True


def _before_commit(session: Session) -> None:
    if not session.info.pop(_GREW, False):
        return
    from flask import current_app, has_app_context

    if not has_app_context():
        return  # no key here: the scheduled publication covers it
    from webapp.services import keys

    key, _keyring = keys.signing(current_app.config)
    publish(session, key)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_GREW, None)


_installed = False


def install() -> None:
    """Publish a head in every transaction that grew the ledger (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _forget)
    _installed = True


# --- proofs in one query ----------------------------------------------------------------


def _perfect_parts(start: int, end: int, out: list[tuple[int, int]]) -> None:
    """The stored perfect subtrees (level, index) that make up leaves [start, end)."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        out.append((n.bit_length() - 1, start // n))
        return
    k = 1 << ((n - 1).bit_length() - 1)
    _perfect_parts(start, start + k, out)
    _perfect_parts(start + k, end, out)


def _ranges_of_path(seq: int, tree_size: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []

    def record(start: int, end: int) -> bytes:
        ranges.append((start, end))
        return bytes(32)

    merkle.inclusion_proof_from(seq, tree_size, record)
    return ranges


def inclusion_proof(session: Session, seq: int, tree_size: int) -> list[bytes]:
    """RFC 6962 audit path of entry ``seq`` in the tree of ``tree_size`` entries, with
    every stored node it needs read in one query (equal to ``ledger.inclusion_proof``)."""
    ranges = _ranges_of_path(seq, tree_size)
    parts: list[tuple[int, int]] = []
    for start, end in ranges:
        _perfect_parts(start, end, parts)
    leaves = sorted({index for level, index in parts if level == 0})
    inner = sorted({(level, index) for level, index in parts if level > 0})
    selects = []
    if leaves:
        selects.append(
            select(literal(0).label("level"), LedgerEntry.seq, LedgerEntry.leaf_hash).where(
                LedgerEntry.seq.in_(leaves)
            )
        )
    if inner:
        selects.append(
            select(MerkleNode.level, MerkleNode.index, MerkleNode.hash).where(
                or_(*(and_(MerkleNode.level == lv, MerkleNode.index == ix) for lv, ix in inner))
            )
        )
    if not selects:
        return []
    query = selects[0] if len(selects) == 1 else union_all(*selects)
    nodes = {(int(lv), int(ix)): bytes(h) for lv, ix, h in session.execute(query)}

    def node(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LookupError(f"missing Merkle node {level}/{index}") from None

    def range_hash(start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return node(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return merkle.node_hash(range_hash(start, start + k), range_hash(start + k, end))

    return merkle.inclusion_proof_from(seq, tree_size, range_hash)
