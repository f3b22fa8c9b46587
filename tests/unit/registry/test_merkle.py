"""RFC 6962 Merkle trees: published vectors, a naive reference, exhaustive and property tests.

Vectors are from transparency-dev/merkle (proof/verify_test.go), the Go reference used by
Certificate Transparency and Trillian.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.registry.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

H = bytes.fromhex
PROPS = settings(max_examples=150, deadline=None, database=None)

LEAVES = [
    H(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAF_HASHES = [leaf_hash(x) for x in LEAVES]
ROOTS = [
    H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),  # size 0
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),  # size 8
]
# (0-based leaf index, tree size, proof)
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- naive reference, transcribed from RFC 6962 §2.1 on plain lists -------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def hashes(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


# --- corruption probes, after transparency-dev corruptInclusionProof / ConsistencyProof --


def inclusion_probes(index, size, proof, root_, leaf):
    probes = [
        (index - 1, size, root_, leaf, proof),
        (index + 1, size, root_, leaf, proof),
        (index ^ 2, size, root_, leaf, proof),
        (index, size * 2, root_, leaf, proof),
        (index, size // 2, root_, leaf, proof),
        (index, size, root_, leaf_hash(b"WrongLeaf"), proof),
        (index, size, EMPTY_ROOT, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root_, leaf, [*proof, b""]),
        (index, size, root_, leaf, [*proof, root_]),
        (index, size, root_, leaf, [b"", *proof]),
        (index, size, root_, leaf, [root_, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root_, leaf, wrong))
    if proof:
        probes.append((index, size, root_, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root_, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


def consistency_probes(size1, size2, root1, root2, proof):
    probes = [
        (size1 - 1, size2, root1, root2, proof),
        (size1 + 1, size2, root1, root2, proof),
        (size1 ^ 2, size2, root1, root2, proof),
        (size1, size2 * 2, root1, root2, proof),
        (size1, size2 // 2, root1, root2, proof),
        (size1, size2, SOME_HASH, root2, proof),
        (size1, size2, root1, SOME_HASH, proof),
        (size1, size2, root2, root1, proof),
        (size1, size2, root1, root2, []),
        (size1, size2, root1, root2, [*proof, b""]),
        (size1, size2, root1, root2, [*proof, root1]),
        (size1, size2, root1, root2, [*proof, root2]),
        (size1, size2, root1, root2, [b"", *proof]),
        (size1, size2, root1, root2, [root1, *proof]),
        (size1, size2, root1, root2, [root2, *proof]),
        (size1, size2, root1, root2, [proof[0], *proof]),
        (size1, size2, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((size1, size2, root1, root2, wrong))
    return probes


# --- published vectors -------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


@pytest.mark.parametrize("size", range(9))
def test_roots_match_rfc6962_vectors(size: int) -> None:
    assert root(LEAF_HASHES[:size]) == ROOTS[size]
    assert CompactRange().extend(LEAF_HASHES[:size]).root() == ROOTS[size]
    assert MerkleTree(LEAF_HASHES).root(size) == ROOTS[size]
    assert ref_mth(LEAF_HASHES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(index, LEAF_HASHES[:size]) == proof
    assert MerkleTree(LEAF_HASHES).inclusion_proof(index, size) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])
    for probe in inclusion_probes(index, size, proof, ROOTS[size], LEAF_HASHES[index]):
        assert not verify_inclusion(probe[3], probe[0], probe[1], probe[4], probe[2]), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(old, LEAF_HASHES[:new]) == proof
    assert MerkleTree(LEAF_HASHES).consistency_proof(old, new) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
    if proof:
        for probe in consistency_probes(old, new, ROOTS[old], ROOTS[new], proof):
            assert not verify_consistency(*probe), probe


# --- edge cases from transparency-dev TestVerifyInclusion / TestVerifyConsistency ---------


def test_inclusion_single_entry() -> None:
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(b"", 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1), (-1, 1)])
def test_inclusion_invalid_positions(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


R1, R2 = hashlib.sha256(b"don't care 1").digest(), hashlib.sha256(b"don't care 2").digest()


@pytest.mark.parametrize(
    ("old", "new", "root1", "root2", "proof", "ok"),
    [
        (0, 0, R1, R2, [], False),
        (1, 1, R1, R2, [], False),
        (0, 0, R1, R1, [], True),
        (0, 1, R1, R2, [], True),
        (1, 1, R2, R2, [], True),
        (1, 0, R1, R2, [], False),
        (2, 1, R1, R2, [], False),
        (1, 2, R1, R2, [], False),
        (0, 0, EMPTY_ROOT, R2, [], False),
        (1, 1, EMPTY_ROOT, R2, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (-1, 1, R1, R2, [], False),
    ],
)
def test_consistency_edge_cases(old, new, root1, root2, proof, ok) -> None:
    assert verify_consistency(old, new, root1, root2, proof) is ok


def test_verifiers_reject_wrong_types() -> None:
    assert not verify_inclusion(LEAF_HASHES[0], 0, 1, [], "not bytes")  # type: ignore[arg-type]
    assert not verify_inclusion(LEAF_HASHES[0], 0.0, 1, [], ROOTS[1])  # type: ignore[arg-type]
    assert not verify_consistency(1, 2.0, ROOTS[1], ROOTS[2], [LEAF_HASHES[1]])  # type: ignore[arg-type]
    assert root_from_inclusion_proof(LEAF_HASHES[0], 0, 2, [b"short"]) is None


# --- exhaustive over small trees ---------------------------------------------------------

MAX_SIZE = 70
TREE = MerkleTree(hashes(MAX_SIZE))
PREFIX_ROOTS = [ref_mth(hashes(MAX_SIZE)[:n]) for n in range(MAX_SIZE + 1)]


def test_every_inclusion_proof_for_sizes_up_to_70() -> None:
    data = hashes(MAX_SIZE)
    for size in range(1, MAX_SIZE + 1):
        r = PREFIX_ROOTS[size]
        assert root(data[:size]) == r
        assert TREE.root(size) == r
        for index in range(size):
            proof = inclusion_proof(index, data[:size])
            assert proof == ref_path(index, data[:size])
            assert TREE.inclusion_proof(index, size) == proof
            assert root_from_inclusion_proof(data[index], index, size, proof) == r
            assert verify_inclusion(data[index], index, size, proof, r)
            for p in inclusion_probes(index, size, proof, r, data[index]):
                assert not verify_inclusion(p[3], p[0], p[1], p[4], p[2]), (size, index)


def test_every_consistency_proof_for_sizes_up_to_70() -> None:
    data = hashes(MAX_SIZE)
    for new in range(MAX_SIZE + 1):
        for old in range(new + 1):
            proof = consistency_proof(old, data[:new])
            expected = ref_subproof(old, data[:new], True) if 0 < old < new else []
            assert proof == expected
            assert TREE.consistency_proof(old, new) == proof
            r1, r2 = PREFIX_ROOTS[old], PREFIX_ROOTS[new]
            assert verify_consistency(old, new, r1, r2, proof), (old, new)
            if proof:
                for p in consistency_probes(old, new, r1, r2, proof):
                    assert not verify_consistency(*p), (old, new)


# --- properties over arbitrary data --------------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=24), min_size=1, max_size=140).map(
    lambda xs: [leaf_hash(x) for x in xs]
)


@PROPS
@given(data=leaf_lists, pick=st.integers(min_value=0), flip=st.integers(min_value=0))
def test_inclusion_property(data: list[bytes], pick: int, flip: int) -> None:
    index = pick % len(data)
    r = root(data)
    proof = inclusion_proof(index, data)
    assert verify_inclusion(data[index], index, len(data), proof, r)
    bit = 1 << (flip % 8)
    byte = (flip // 8) % 32
    bad_root = bytearray(r)
    bad_root[byte] ^= bit
    assert not verify_inclusion(data[index], index, len(data), proof, bytes(bad_root))
    bad_leaf = bytearray(data[index])
    bad_leaf[byte] ^= bit
    assert not verify_inclusion(bytes(bad_leaf), index, len(data), proof, r)
    if proof:
        bad = [bytearray(p) for p in proof]
        bad[flip % len(bad)][byte] ^= bit
        assert not verify_inclusion(data[index], index, len(data), [bytes(p) for p in bad], r)


@PROPS
@given(data=leaf_lists, pick=st.integers(min_value=0), flip=st.integers(min_value=0))
def test_consistency_property(data: list[bytes], pick: int, flip: int) -> None:
    old = pick % (len(data) + 1)
    r_old, r_new = root(data[:old]), root(data)
    proof = consistency_proof(old, data)
    assert verify_consistency(old, len(data), r_old, r_new, proof)
    if proof:
        bad = [bytearray(p) for p in proof]
        bad[flip % len(bad)][(flip // 8) % 32] ^= 1 << (flip % 8)
        assert not verify_consistency(old, len(data), r_old, r_new, [bytes(p) for p in bad])
        bad_root = bytearray(r_new)
        bad_root[(flip // 8) % 32] ^= 1 << (flip % 8)
        assert not verify_consistency(old, len(data), r_old, bytes(bad_root), proof)


@PROPS
@given(data=leaf_lists, cut=st.integers(min_value=0))
def test_compact_range_and_tree_match_reference(data: list[bytes], cut: int) -> None:
    assert root(data) == ref_mth(data)
    compact = CompactRange()
    tree = MerkleTree()
    for i, leaf in enumerate(data):
        compact.append(leaf)
        tree.append(leaf)
        assert compact.size == tree.size == i + 1
    assert compact.root() == tree.root() == ref_mth(data)
    size = cut % (len(data) + 1)
    assert tree.root(size) == ref_mth(data[:size])
    bulk = MerkleTree(data[:size])
    bulk.extend(data[size:])
    assert bulk.root() == tree.root()


# --- structure behaviour -------------------------------------------------------------------


def test_compact_range_copy_and_empty() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    compact.extend(LEAF_HASHES[:5])
    snapshot = compact.copy()
    compact.extend(LEAF_HASHES[5:])
    assert snapshot.root() == ROOTS[5] and snapshot.size == 5
    assert compact.root() == ROOTS[8] and compact.size == 8


def test_bad_leaf_keeps_structures_consistent() -> None:
    compact, tree = CompactRange(), MerkleTree()
    for target in (compact, tree):
        with pytest.raises(ValueError, match="32 bytes"):
            target.extend([LEAF_HASHES[0], LEAF_HASHES[1], b"short", LEAF_HASHES[2]])
    assert compact.size == tree.size == 2
    assert compact.root() == tree.root() == ROOTS[2]
    assert MerkleTree(LEAF_HASHES[:2]).inclusion_proof(1) == tree.inclusion_proof(1)


def test_tree_accessors_and_errors() -> None:
    tree = MerkleTree(LEAF_HASHES)
    assert len(tree) == 8 and tree.leaf_hash(7) == LEAF_HASHES[7]
    assert MerkleTree().root() == EMPTY_ROOT
    with pytest.raises(IndexError):
        tree.leaf_hash(8)
    with pytest.raises(ValueError):
        tree.root(9)
    with pytest.raises(ValueError):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ValueError):
        tree.inclusion_proof(8)
    with pytest.raises(ValueError):
        tree.consistency_proof(3, 9)
    with pytest.raises(ValueError):
        tree.consistency_proof(5, 4)
    with pytest.raises(ValueError):
        tree.range_hash(3, 3)
    with pytest.raises(ValueError):
        inclusion_proof(0, [])
    with pytest.raises(ValueError):
        consistency_proof(2, LEAF_HASHES[:1])


def test_larger_tree_agrees_with_list_functions() -> None:
    data = hashes(5000, b"big")
    tree = MerkleTree(data)
    assert tree.root() == root(iter(data))
    for index in (0, 1, 2047, 2048, 4095, 4096, 4999):
        proof = tree.inclusion_proof(index)
        assert proof == inclusion_proof(index, data)
        assert verify_inclusion(data[index], index, 5000, proof, tree.root())
    for old in (1, 1024, 3333, 4096, 4999):
        proof = tree.consistency_proof(old)
        assert proof == consistency_proof(old, data)
        assert verify_consistency(old, 5000, tree.root(old), tree.root(), proof)


def test_extend_aligned_equals_extend_for_any_chunking():
    import random

    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(1000)]
    rng = random.Random(22)
    for _ in range(20):
        one, bulk = CompactRange(), CompactRange()
        pos = 0
        while pos < len(leaves):
            chunk = leaves[pos : pos + rng.choice([1, 2, 3, 4, 8, 16, 64, 256])]
            pos += len(chunk)
            one.extend(chunk)
            bulk.extend_aligned(chunk)
            assert bulk.size == one.size and bulk.root() == one.root()
    assert bulk.root() == root(leaves)
