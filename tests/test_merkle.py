"""Binary Merkle tree: both twins against hand-built roots, each other and the proof rules."""

from __future__ import annotations

import random

import pytest
from eth_hash.auto import keccak as eth_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import merkle
from primitives.merkle import (
    ZERO_HASH,
    compute_root_from_proof,
    hash_leaf,
    hash_node,
    verify_merkle_proof,
)
from tests.conftest import twin_params

TWINS = twin_params("primitives._merkle_py", "primitives._merkle_c")


def leaves_of(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def leaf_node(x: bytes) -> bytes:
    return eth_keccak(b"\x00" + x)


def parent(left: bytes, right: bytes) -> bytes:
    return eth_keccak(b"\x01" + left + right)


def flip(data: bytes, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.mark.parametrize("impl", TWINS)
def test_roots_follow_the_documented_rules(impl):
    a, b, c, d, e = leaves_of(5)
    assert impl.merkle_root([]) == ZERO_HASH
    assert impl.merkle_root([a]) == leaf_node(a)
    assert impl.merkle_root([a, b]) == parent(leaf_node(a), leaf_node(b))
    ab = parent(leaf_node(a), leaf_node(b))
    assert impl.merkle_root([a, b, c]) == parent(ab, parent(leaf_node(c), ZERO_HASH))
    abcd = parent(ab, parent(leaf_node(c), leaf_node(d)))
    e_pad = parent(parent(leaf_node(e), ZERO_HASH), ZERO_HASH)
    assert impl.merkle_root([a, b, c, d, e]) == parent(abcd, e_pad)


def test_hash_helpers_match_the_rules():
    a, b = leaves_of(2)
    assert hash_leaf(a) == leaf_node(a)
    assert hash_node(a, b) == parent(a, b)
    assert hash_leaf(a, hasher=eth_keccak) == leaf_node(a)


@pytest.mark.parametrize("n", [*range(0, 18), 31, 32, 33, 100, 257, 1000])
def test_twins_agree_on_roots_and_proofs(n):
    pure, compiled = (p.values[0] for p in TWINS)
    if compiled is None:
        pytest.skip("compiled twin not built")
    leaves = leaves_of(n, seed=n)
    root = pure.merkle_root(leaves)
    assert compiled.merkle_root(leaves) == root
    assert pure.MerkleTree(leaves).root == compiled.MerkleTree(leaves).root == root
    tree_p, tree_c = pure.MerkleTree(leaves), compiled.MerkleTree(leaves)
    for i in range(0, n, max(1, n // 40)):
        assert tree_p.proof(i) == tree_c.proof(i) == compiled.merkle_proof(leaves, i)


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_every_proof_verifies_and_has_the_tree_depth(impl, n):
    leaves = leaves_of(n, seed=100 + n)
    tree = impl.MerkleTree(leaves)
    assert len(tree) == n
    depth = (n - 1).bit_length()
    for i, leaf in enumerate(leaves):
        proof = tree.proof(i)
        assert len(proof) == depth
        assert proof == impl.merkle_proof(leaves, i)
        assert compute_root_from_proof(leaf, i, proof) == tree.root
        assert verify_merkle_proof(tree.root, leaf, i, proof)
        assert verify_merkle_proof(tree.root, leaf, i, proof, hasher=eth_keccak)


@pytest.mark.parametrize("impl", TWINS)
def test_single_leaf_tree_has_an_empty_proof(impl):
    (a,) = leaves_of(1)
    assert impl.merkle_proof([a], 0) == []
    assert verify_merkle_proof(leaf_node(a), a, 0, [])
    assert not verify_merkle_proof(leaf_node(a), a, 1, [])


@pytest.mark.parametrize("impl", TWINS)
def test_any_flipped_bit_fails_verification(impl):
    leaves = leaves_of(11, seed=3)
    tree = impl.MerkleTree(leaves)
    i = 6
    proof = tree.proof(i)
    root, leaf = tree.root, leaves[i]
    assert verify_merkle_proof(root, leaf, i, proof)
    for bit in (0, 7, 100, 255):
        assert not verify_merkle_proof(root, flip(leaf, bit), i, proof)
        assert not verify_merkle_proof(flip(root, bit), leaf, i, proof)
        for level in range(len(proof)):
            bad = list(proof)
            bad[level] = flip(bad[level], bit)
            assert not verify_merkle_proof(root, leaf, i, bad)
    for bit in range(len(proof)):
        assert not verify_merkle_proof(root, leaf, i ^ (1 << bit), proof)


def test_an_index_beyond_the_proof_depth_is_rejected():
    leaves = leaves_of(4, seed=4)
    tree = merkle.MerkleTree(leaves)
    proof = tree.proof(1)
    # 1 and 1 + 4 share their low bits: a verifier that ignored high bits would accept both.
    assert not verify_merkle_proof(tree.root, leaves[1], 1 + 4, proof)
    with pytest.raises(ValueError, match="out of range for a proof of 2 siblings"):
        compute_root_from_proof(leaves[1], 5, proof)


@pytest.mark.parametrize("impl", TWINS)
def test_padding_and_inner_nodes_cannot_pose_as_leaves(impl):
    a, b, c, d = leaves_of(4, seed=5)
    assert impl.merkle_root([a, b, c]) != impl.merkle_root([a, b, c, ZERO_HASH])
    assert impl.merkle_root([a, b, c]) != impl.merkle_root([a, b, c, c])
    inner = [parent(leaf_node(a), leaf_node(b)), parent(leaf_node(c), leaf_node(d))]
    assert impl.merkle_root(inner) != impl.merkle_root([a, b, c, d])


@pytest.mark.parametrize("impl", TWINS)
def test_accepts_any_sequence_of_bytes_like_leaves(impl):
    leaves = leaves_of(5, seed=6)
    root = impl.merkle_root(leaves)
    assert impl.merkle_root(tuple(leaves)) == root
    assert impl.merkle_root(x for x in leaves) == root
    assert impl.merkle_root([bytearray(x) for x in leaves]) == root
    assert impl.MerkleTree(tuple(leaves)).root == root


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize(
    ("bad", "message"),
    [(b"\x01" * 31, "leaf 2 must be 32 bytes, got 31"), (b"\x01" * 33, "got 33"),
     ("ab" * 16, "leaf 2 must be 32 bytes, got str"), (None, "got NoneType")],
)
def test_leaves_that_are_not_32_bytes_are_rejected(impl, bad, message):
    leaves = leaves_of(4, seed=7)
    leaves[2] = bad
    for build in (impl.merkle_root, impl.MerkleTree, lambda xs: impl.merkle_proof(xs, 0)):
        with pytest.raises(ValueError, match=message):
            build(leaves)


@pytest.mark.parametrize("impl", TWINS)
def test_bad_indexes_are_rejected(impl):
    leaves = leaves_of(5, seed=8)
    tree = impl.MerkleTree(leaves)
    for index, message in [(5, "index 5 is out of range for 5 leaves"), (-1, "index -1"),
                           (True, "must be an int"), ("0", "must be an int, got str")]:
        with pytest.raises(ValueError, match=message):
            tree.proof(index)
        with pytest.raises(ValueError, match=message):
            impl.merkle_proof(leaves, index)


@pytest.mark.parametrize("impl", TWINS)
def test_the_empty_tree_has_a_root_but_no_proofs(impl):
    tree = impl.MerkleTree([])
    assert tree.root == ZERO_HASH
    assert len(tree) == 0
    with pytest.raises(ValueError, match="the tree is empty"):
        tree.proof(0)
    with pytest.raises(ValueError, match="the tree is empty"):
        impl.merkle_proof([], 0)


def test_malformed_proof_inputs_are_rejected():
    leaves = leaves_of(4, seed=9)
    tree = merkle.MerkleTree(leaves)
    proof = tree.proof(2)
    with pytest.raises(ValueError, match="root must be 32 bytes"):
        verify_merkle_proof(tree.root[:31], leaves[2], 2, proof)
    with pytest.raises(ValueError, match="leaf must be 32 bytes"):
        verify_merkle_proof(tree.root, leaves[2] + b"\x00", 2, proof)
    with pytest.raises(ValueError, match=r"proof\[1\] must be 32 bytes"):
        verify_merkle_proof(tree.root, leaves[2], 2, [proof[0], proof[1][:5]])
    with pytest.raises(ValueError, match="index must be an int"):
        verify_merkle_proof(tree.root, leaves[2], 2.0, proof)
    with pytest.raises(ValueError, match="index -2 is out of range"):
        compute_root_from_proof(leaves[2], -2, proof)


def test_the_hasher_is_called_once_per_level_plus_the_leaf():
    leaves = leaves_of(9, seed=10)
    tree = merkle.MerkleTree(leaves)
    calls = []

    def metered(data: bytes) -> bytes:
        calls.append(len(data))
        return eth_keccak(data)

    assert verify_merkle_proof(tree.root, leaves[8], 8, tree.proof(8), hasher=metered)
    assert calls == [33, 65, 65, 65, 65]


def test_selector_names_a_backend():
    from primitives import _backend

    assert merkle.BACKEND in ("compiled", "pure")
    assert _backend.backends()["merkle"] == merkle.BACKEND


@pytest.mark.parametrize("impl", TWINS)
@settings(max_examples=40, deadline=None)
@given(
    leaves=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40),
    pick=st.integers(min_value=0),
)
def test_property_root_matches_pure_and_proofs_verify(impl, leaves, pick):
    from primitives import _merkle_py

    root = impl.merkle_root(leaves)
    assert root == _merkle_py.merkle_root(leaves)
    i = pick % len(leaves)
    proof = impl.merkle_proof(leaves, i)
    assert verify_merkle_proof(root, leaves[i], i, proof)
    other = (i + 1) % len(leaves)
    if leaves[other] != leaves[i]:
        assert not verify_merkle_proof(root, leaves[other], i, proof)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, 8, 9, 64])
def test_root_with_a_hasher_equals_the_default_root(n):
    leaves = leaves_of(n, seed=20 + n)
    calls = []

    def metered(data: bytes) -> bytes:
        calls.append(data)
        return eth_keccak(data)

    assert merkle.merkle_root(leaves, hasher=metered) == merkle.merkle_root(leaves)
    # One call per leaf and one per node of every level above, odd levels padded: what L1 charges for.
    nodes, width = 0, n
    while width > 1:
        width = (width + 1) // 2
        nodes += width
    assert [len(c) for c in calls] == [33] * n + [65] * nodes
    assert [c[0] for c in calls] == [0] * n + [1] * nodes


def test_root_with_a_hasher_uses_only_that_hasher():
    leaves = leaves_of(5, seed=3)

    def tagged(data: bytes) -> bytes:
        return eth_keccak(b"tag" + data)

    root = merkle.merkle_root(leaves, hasher=tagged)
    assert root != merkle.merkle_root(leaves)
    level = [tagged(b"\x00" + x) for x in leaves]
    while len(level) > 1:
        level += [ZERO_HASH] * (len(level) % 2)
        level = [tagged(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    assert root == level[0]
    assert merkle.merkle_root([], hasher=tagged) == ZERO_HASH


@pytest.mark.parametrize("impl", TWINS)
def test_root_with_a_hasher_checks_leaves_like_the_twins(impl):
    with pytest.raises(ValueError, match="leaf 0 must be 32 bytes"):
        merkle.merkle_root([b"short"], hasher=eth_keccak)
    with pytest.raises(ValueError, match="leaf 0 must be 32 bytes"):
        impl.merkle_root([b"short"])
    leaves = leaves_of(7, seed=5)
    assert merkle.merkle_root(tuple(leaves), hasher=eth_keccak) == impl.merkle_root(leaves)
    assert merkle.merkle_root((bytearray(x) for x in leaves), hasher=eth_keccak) == impl.merkle_root(leaves)
