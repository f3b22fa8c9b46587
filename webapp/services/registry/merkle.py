"""RFC 6962 / RFC 9162 Merkle trees over SHA-256.

Leaf hash ``SHA-256(0x00 || data)``, interior node ``SHA-256(0x01 || left || right)``,
empty tree ``SHA-256("")``. For ``n > 1`` leaves, ``k`` is the largest power of two
smaller than ``n`` and ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))`` (RFC 6962 §2.1).

Three ways to get hashes, depending on what the caller holds:

* :class:`CompactRange` streams leaf hashes and keeps only O(log n) subtree hashes;
  ``registry verify`` uses it to recompute a root in one pass (n - 1 node hashes).
* :func:`root`, :func:`inclusion_proof` and :func:`consistency_proof` work on a list of
  leaf hashes. A proof costs O(n) hashing in total (each recursion level hashes a range
  disjoint from the others) and O(log n) extra memory; no quadratic work.
* :class:`MerkleTree` keeps every complete subtree hash (64 bytes per leaf, ~64 MB for a
  million entries) and answers roots of any prefix and proofs with O(log² n) hashing at
  worst (well under a millisecond at a million entries), for serving proofs per request.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows the RFC 9162
§2.1.3.2 and §2.1.4.2 algorithms literally.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

RangeHash = Callable[[int, int], bytes]
"""``range_hash(start, end)`` returns ``MTH(D[start:end])`` for ``0 <= start < end``."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """Append-only frontier of a Merkle tree: O(log n) memory, amortised O(1) per append.

    Holds the roots of the perfect subtrees that make up ``D[0:size]`` (one per set bit of
    ``size``, largest first). :meth:`root` folds them right to left, which is exactly MTH.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append one leaf *hash* (32 bytes, already ``leaf_hash``-ed)."""
        self.extend((leaf,))

    def extend(self, leaves: Iterable[bytes]) -> CompactRange:
        """Append many leaf hashes in order; returns ``self`` for chaining."""
        stack, size = self._stack, self._size
        sha256, prefix = hashlib.sha256, NODE_PREFIX
        try:
            for leaf in leaves:
                if len(leaf) != HASH_SIZE:
                    raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
                node = bytes(leaf)
                # Each trailing 1 bit of the size is a perfect subtree to merge with.
                bits = size
                while bits & 1:
                    node = sha256(prefix + stack.pop() + node).digest()
                    bits >>= 1
                stack.append(node)
                size += 1
        finally:
            self._size = size
        return self

    def extend_aligned(self, leaves: Sequence[bytes]) -> CompactRange:
        """Append many leaf hashes, hashing level by level when they form a perfect
        subtree at an aligned position (the common case when a log is read in batches of
        2**k): the same result as :meth:`extend`, with one list comprehension per level
        instead of a Python loop per leaf."""
        n = len(leaves)
        if n == 0 or n & (n - 1) or self._size % n:
            return self.extend(leaves)
        sha256, prefix = hashlib.sha256, NODE_PREFIX
        level = list(leaves)
        if any(len(leaf) != HASH_SIZE for leaf in level):
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        height = 0
        while len(level) > 1:
            level = [
                sha256(prefix + left + right).digest()
                for left, right in zip(level[0::2], level[1::2], strict=True)
            ]
            height += 1
        node, stack = level[0], self._stack
        bits = self._size >> height
        while bits & 1:
            node = sha256(prefix + stack.pop() + node).digest()
            bits >>= 1
        stack.append(node)
        self._size += n
        return self

    def root(self) -> bytes:
        """Merkle Tree Hash of everything appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1]
        for node in reversed(self._stack[:-1]):
            result = node_hash(node, result)
        return result

    def copy(self) -> CompactRange:
        """An independent copy (e.g. to snapshot a root and keep appending)."""
        clone = CompactRange()
        clone._size = self._size
        clone._stack = list(self._stack)
        return clone


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """Merkle Tree Hash over leaf hashes, streaming, O(log n) memory."""
    return CompactRange().extend(leaf_hashes).root()


def _list_range_hash(leaf_hashes: Sequence[bytes]) -> RangeHash:
    def range_hash(start: int, end: int) -> bytes:
        return CompactRange().extend(leaf_hashes[start:end]).root()

    return range_hash


def _path(index: int, start: int, end: int, range_hash: RangeHash, out: list[bytes]) -> None:
    """RFC 6962 §2.1.1 PATH(index, D[start:end]), appended leaf-side first."""
    n = end - start
    if n <= 1:
        return
    k = _split(n)
    if index < k:
        _path(index, start, start + k, range_hash, out)
        out.append(range_hash(start + k, end))
    else:
        _path(index - k, start + k, end, range_hash, out)
        out.append(range_hash(start, start + k))


def _subproof(
    m: int, start: int, end: int, complete: bool, range_hash: RangeHash, out: list[bytes]
) -> None:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[start:end], complete)."""
    n = end - start
    if m == n:
        if not complete:
            out.append(range_hash(start, end))
        return
    k = _split(n)
    if m <= k:
        _subproof(m, start, start + k, complete, range_hash, out)
        out.append(range_hash(start + k, end))
    else:
        _subproof(m - k, start + k, end, False, range_hash, out)
        out.append(range_hash(start, start + k))


def inclusion_proof_from(index: int, tree_size: int, range_hash: RangeHash) -> list[bytes]:
    """Audit path for leaf ``index`` in a tree of ``tree_size`` leaves.

    ``range_hash`` supplies subtree hashes; every range it is asked for is disjoint from
    the others, so a linear-time ``range_hash`` gives an O(n) proof overall.
    """
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} out of range for tree size {tree_size}")
    out: list[bytes] = []
    _path(index, 0, tree_size, range_hash, out)
    return out


def consistency_proof_from(old_size: int, new_size: int, range_hash: RangeHash) -> list[bytes]:
    """Consistency proof between tree sizes ``old_size`` and ``new_size`` (RFC 6962 §2.1.2).

    Empty when ``old_size`` is 0 or equals ``new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"need 0 <= old_size <= new_size, got {old_size}, {new_size}")
    out: list[bytes] = []
    if 0 < old_size < new_size:
        _subproof(old_size, 0, new_size, True, range_hash, out)
    return out


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Audit path for ``leaf_hashes[index]`` in the tree of all ``leaf_hashes``. O(n)."""
    return inclusion_proof_from(index, len(leaf_hashes), _list_range_hash(leaf_hashes))


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of ``leaf_hashes[:old_size]`` is a prefix of the whole. O(n)."""
    return consistency_proof_from(old_size, len(leaf_hashes), _list_range_hash(leaf_hashes))


def root_from_inclusion_proof(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes | None:
    """RFC 9162 §2.1.3.2 steps 1-5: the root implied by a proof, or ``None`` if malformed."""
    if not (isinstance(index, int) and isinstance(tree_size, int)):
        return None
    if index < 0 or index >= tree_size:
        return None
    if not _all_hashes([leaf, *proof]):
        return None
    fn, sn = index, tree_size - 1
    r = bytes(leaf)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree with ``root``."""
    computed = root_from_inclusion_proof(leaf, index, tree_size, proof)
    return computed is not None and _is_hash(root) and hmac.compare_digest(computed, bytes(root))


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows the ``old_size`` tree is a prefix of the ``new_size`` tree.

    RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``. Edge cases as in transparency-dev:
    equal sizes need equal roots and an empty proof; ``old_size == 0`` needs an empty proof
    (every tree extends the empty tree).
    """
    if not (isinstance(old_size, int) and isinstance(new_size, int)):
        return False
    if old_size < 0 or new_size < old_size:
        return False
    if not _all_hashes([old_root, new_root, *proof]):
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(bytes(old_root), bytes(new_root))
    if old_size == 0:
        return not proof
    # Step 1: an empty path cannot prove anything for 0 < old_size < new_size.
    if not proof:
        return False
    path = list(proof)
    # Step 2: if old_size is a power of two, the old root is itself a node of the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # Steps 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Steps 5-6.
    fr = sr = bytes(path[0])
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7.
    return (
        sn == 0
        and hmac.compare_digest(fr, bytes(old_root))
        and hmac.compare_digest(sr, bytes(new_root))
    )


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _all_hashes(values: Iterable[object]) -> bool:
    return all(_is_hash(v) for v in values)


class MerkleTree:
    """In-memory append-only tree storing every complete subtree hash.

    ``levels[h]`` is a bytearray of the 32-byte hashes of the complete, aligned subtrees of
    ``2**h`` leaves, in order. Memory is ~64 bytes per leaf; appends are amortised O(1);
    a prefix root costs O(log n) hashing and a proof O(log² n) at worst (only ranges on the
    right edge of the tree are not stored whole).
    """

    __slots__ = ("_levels", "_size")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    def __len__(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> int:
        """Append a leaf hash; returns its index."""
        self.extend((leaf,))
        return self._size - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order (bulk: one pass per level)."""
        level0 = self._levels[0]
        try:
            for leaf in leaf_hashes:
                if len(leaf) != HASH_SIZE:
                    raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
                level0 += leaf
        finally:
            self._size = len(level0) // HASH_SIZE
            self._complete_levels()

    def _complete_levels(self) -> None:
        """Hash every newly completed pair of level ``h`` into level ``h + 1``."""
        levels, sha256, prefix = self._levels, hashlib.sha256, NODE_PREFIX
        height = 0
        while len(levels[height]) >= 2 * HASH_SIZE:
            if height + 1 == len(levels):
                levels.append(bytearray())
            below, above = levels[height], levels[height + 1]
            have, want = len(above) // HASH_SIZE, len(below) // (2 * HASH_SIZE)
            if have == want:
                break  # nothing new here, so nothing new above either
            for i in range(have, want):
                offset = 2 * HASH_SIZE * i
                above += sha256(prefix + below[offset : offset + 2 * HASH_SIZE]).digest()
            height += 1

    def leaf_hash(self, index: int) -> bytes:
        """The stored hash of leaf ``index``."""
        if not 0 <= index < self._size:
            raise IndexError(index)
        return self._node(0, index)

    def _node(self, height: int, position: int) -> bytes:
        offset = position * HASH_SIZE
        return bytes(self._levels[height][offset : offset + HASH_SIZE])

    def range_hash(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for ``0 <= start < end <= size``."""
        if not 0 <= start < end <= self._size:
            raise ValueError(f"bad range [{start}, {end}) for size {self._size}")
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self._node(n.bit_length() - 1, start // n)
        k = _split(n)
        return node_hash(self.range_hash(start, start + k), self.range_hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """Root of the first ``size`` leaves (default: all)."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} out of range 0..{self._size}")
        return EMPTY_ROOT if size == 0 else self.range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path for leaf ``index`` in the tree of the first ``size`` leaves."""
        size = self._size if size is None else size
        if size > self._size:
            raise ValueError(f"size {size} exceeds tree size {self._size}")
        return inclusion_proof_from(index, size, self.range_hash)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Consistency proof from ``old_size`` to ``new_size`` (default: current size)."""
        new_size = self._size if new_size is None else new_size
        if new_size > self._size:
            raise ValueError(f"size {new_size} exceeds tree size {self._size}")
        return consistency_proof_from(old_size, new_size, self.range_hash)
