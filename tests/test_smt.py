"""Sparse Merkle tree: both twins against hand-built roots, each other, a dict model
and the proof rules."""

from __future__ import annotations

import random

import pytest
from eth_hash.auto import keccak as eth_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import smt
from primitives.smt import (
    EMPTY_VALUE,
    empty_hashes,
    empty_root,
    smt_root_from_proof,
    verify_smt_proof,
)
from tests.conftest import twin_params

TWINS = twin_params("primitives._smt_py", "primitives._smt_c")


def leaf(value: bytes) -> bytes:
    return eth_keccak(b"\x00" + value)


def parent(left: bytes, right: bytes) -> bytes:
    return eth_keccak(b"\x01" + left + right)


def flip(data: bytes, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def val(i: int) -> bytes:
    return i.to_bytes(32, "big")


def both_twins():
    pure, compiled = (p.values[0] for p in TWINS)
    if compiled is None:
        pytest.skip("compiled twin not built")
    return pure, compiled


def test_empty_subtree_hashes_follow_the_rules():
    e = empty_hashes(3)
    assert e[0] == leaf(EMPTY_VALUE)
    assert e[1] == parent(e[0], e[0])
    assert e[3] == parent(e[2], e[2]) == empty_root(3)
    assert empty_hashes(3, hasher=eth_keccak) == e


@pytest.mark.parametrize("impl", TWINS)
def test_roots_follow_the_documented_rules(impl):
    e = empty_hashes(2)
    tree = impl.SparseMerkleTree(2)
    assert tree.root == empty_root(2)
    assert tree.depth == 2
    # key 1 = 0b01: right child at the leaf level, left child above it
    assert tree.set(1, val(7)) == parent(parent(e[0], leaf(val(7))), e[1])
    tree.set(2, val(9))  # key 2 = 0b10: left at the leaf level, right above
    assert tree.root == parent(parent(e[0], leaf(val(7))), parent(leaf(val(9)), e[0]))
    assert tree.prove(1) == [e[0], parent(leaf(val(9)), e[0])]


@pytest.mark.parametrize("impl", TWINS)
def test_get_set_len_and_items(impl):
    tree = impl.SparseMerkleTree(8)
    assert tree.get(5) == EMPTY_VALUE and len(tree) == 0
    tree.set(5, val(1))
    tree.set(200, val(2))
    tree.set(5, val(3))
    assert tree.get(5) == val(3) and tree.get(200) == val(2) and tree.get(6) == EMPTY_VALUE
    assert len(tree) == 2
    assert list(tree.items()) == [(5, val(3)), (200, val(2))]
    tree.set(5, EMPTY_VALUE)
    assert len(tree) == 1 and tree.get(5) == EMPTY_VALUE


@pytest.mark.parametrize("depth", [1, 2, 8, 32, 64])
def test_twins_agree_through_random_writes_and_deletes(depth):
    pure, compiled = both_twins()
    rng = random.Random(depth)
    keyspace = [rng.randrange(1 << depth) for _ in range(40)] + [0, (1 << depth) - 1]
    a, b = pure.SparseMerkleTree(depth), compiled.SparseMerkleTree(depth)
    for _ in range(15):
        batch = [(rng.choice(keyspace), rng.choice([EMPTY_VALUE, rng.randbytes(32)]))
                 for _ in range(rng.randrange(0, 25))]
        assert a.update_many(batch) == b.update_many(batch)
        assert len(a) == len(b) and list(a.items()) == list(b.items())
    for key in keyspace:
        assert a.get(key) == b.get(key)
        assert a.prove(key) == b.prove(key)
        assert verify_smt_proof(a.root, key, a.get(key), b.prove(key), depth)


@pytest.mark.parametrize("impl", TWINS)
def test_batch_equals_sequential_with_last_write_winning(impl):
    rng = random.Random(11)
    items = [(rng.randrange(64), rng.choice([EMPTY_VALUE, rng.randbytes(32)])) for _ in range(80)]
    seq = impl.SparseMerkleTree(6)
    for key, value in items:
        seq.set(key, value)
    batch = impl.SparseMerkleTree(6)
    assert batch.update_many(iter(items)) == seq.root
    assert list(batch.items()) == list(seq.items())


@pytest.mark.parametrize("impl", TWINS)
def test_deleting_everything_returns_to_the_empty_tree(impl):
    tree = impl.SparseMerkleTree(16)
    keys = random.Random(12).sample(range(1 << 16), 50)
    tree.update_many((k, val(k + 1)) for k in keys)
    tree.update_many((k, EMPTY_VALUE) for k in keys[::2])
    tree.update_many((k, EMPTY_VALUE) for k in keys[1::2])
    assert tree.root == empty_root(16) and len(tree) == 0
    # the tree keeps working after it was emptied
    tree.set(keys[0], val(1))
    fresh = impl.SparseMerkleTree(16)
    assert fresh.set(keys[0], val(1)) == tree.root


@pytest.mark.parametrize("impl", TWINS)
def test_proofs_of_presence_and_absence(impl):
    tree = impl.SparseMerkleTree(8)
    tree.update_many([(3, val(30)), (4, val(40)), (255, val(1))])
    for key in (3, 4, 255, 0, 5, 128):
        siblings = tree.prove(key)
        assert len(siblings) == 8
        assert verify_smt_proof(tree.root, key, tree.get(key), siblings, 8)
        assert verify_smt_proof(tree.root, key, tree.get(key), siblings, 8, hasher=eth_keccak)
    assert not verify_smt_proof(tree.root, 5, val(40), tree.prove(5), 8)
    assert not verify_smt_proof(tree.root, 3, EMPTY_VALUE, tree.prove(3), 8)


@pytest.mark.parametrize("impl", TWINS)
def test_any_flipped_bit_fails_verification(impl):
    tree = impl.SparseMerkleTree(8)
    tree.update_many((k, val(k + 1)) for k in range(0, 256, 7))
    key = 21
    siblings, value, root = tree.prove(key), tree.get(key), tree.root
    for bit in (0, 9, 255):
        assert not verify_smt_proof(root, key, flip(value, bit), siblings, 8)
        assert not verify_smt_proof(flip(root, bit), key, value, siblings, 8)
        for level in range(8):
            bad = list(siblings)
            bad[level] = flip(bad[level], bit)
            assert not verify_smt_proof(root, key, value, bad, 8)
    for bit in range(8):
        assert not verify_smt_proof(root, key ^ (1 << bit), value, siblings, 8)


@pytest.mark.parametrize("impl", TWINS)
def test_a_proof_recomputes_the_root_after_a_leaf_changes(impl):
    tree = impl.SparseMerkleTree(32)
    tree.update_many([(7, val(1)), (1 << 31, val(2)), (99, val(3))])
    siblings = tree.prove(99)
    predicted = smt_root_from_proof(99, val(4), siblings, 32)
    assert tree.set(99, val(4)) == predicted
    assert smt_root_from_proof(12345, val(5), tree.prove(12345), 32) == tree.set(12345, val(5))


@pytest.mark.parametrize("impl", TWINS)
def test_copy_is_independent_both_ways(impl):
    tree = impl.SparseMerkleTree(10)
    tree.update_many([(1, val(1)), (2, val(2))])
    before = tree.root
    twin = tree.copy()
    assert twin.root == before and len(twin) == 2 and twin.depth == 10
    twin.update_many([(1, EMPTY_VALUE), (3, val(3))])
    assert tree.root == before and tree.get(1) == val(1) and tree.get(3) == EMPTY_VALUE
    tree.set(4, val(4))
    assert twin.get(4) == EMPTY_VALUE and twin.get(3) == val(3)
    expected = impl.SparseMerkleTree(10)
    expected.update_many([(2, val(2)), (3, val(3))])
    assert twin.root == expected.root


@pytest.mark.parametrize("impl", TWINS)
def test_extreme_keys_at_the_maximum_depth(impl):
    tree = impl.SparseMerkleTree(64)
    top = (1 << 64) - 1
    tree.update_many([(0, val(1)), (top, val(2))])
    for key in (0, top, 1 << 63):
        assert verify_smt_proof(tree.root, key, tree.get(key), tree.prove(key), 64)


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize(
    ("depth", "message"),
    [(0, "depth 0 is out of range"), (65, "depth 65 is out of range"),
     ("8", "depth must be an int, got str"), (True, "depth must be an int")],
)
def test_bad_depths_are_rejected(impl, depth, message):
    with pytest.raises(ValueError, match=message):
        impl.SparseMerkleTree(depth)
    with pytest.raises(ValueError, match=message):
        empty_root(depth)


@pytest.mark.parametrize("impl", TWINS)
def test_bad_writes_are_rejected_and_change_nothing(impl):
    tree = impl.SparseMerkleTree(8)
    tree.update_many([(1, val(1)), (2, val(2))])
    root, items = tree.root, list(tree.items())
    cases = [
        ([(3, val(3)), (256, val(1))], "key 256 is out of range for depth 8"),
        ([(3, val(3)), (-1, val(1))], "key -1 is out of range"),
        ([(3, val(3)), (True, val(1))], "key must be an int, got bool"),
        ([(3, val(3)), ("4", val(1))], "key must be an int, got str"),
        ([(3, val(3)), (4, b"\x01" * 31)], "value of item 1 must be 32 bytes, got 31"),
        ([(3, val(3)), (4, 5)], "value of item 1 must be 32 bytes, got int"),
        ([(3, val(3)), (4,)], "item 1 must be a \\(key, value\\) pair"),
        ([(1, EMPTY_VALUE), 7], "item 1 must be a \\(key, value\\) pair"),
    ]
    for batch, message in cases:
        with pytest.raises(ValueError, match=message):
            tree.update_many(batch)
        assert tree.root == root and list(tree.items()) == items
    with pytest.raises(ValueError, match="key 256 is out of range"):
        tree.set(256, val(1))
    with pytest.raises(ValueError, match="value must be 32 bytes"):
        tree.set(3, b"")
    for read in (tree.get, tree.prove):
        with pytest.raises(ValueError, match="key 300 is out of range"):
            read(300)
    assert tree.root == root and len(tree) == 2


def test_malformed_proofs_are_rejected():
    tree = smt.SparseMerkleTree(8)
    tree.set(9, val(9))
    siblings = tree.prove(9)
    with pytest.raises(ValueError, match="proof must have 8 siblings, got 7"):
        verify_smt_proof(tree.root, 9, val(9), siblings[:7], 8)
    with pytest.raises(ValueError, match="sibling 3 must be 32 bytes"):
        verify_smt_proof(tree.root, 9, val(9), [*siblings[:3], b"x", *siblings[4:]], 8)
    with pytest.raises(ValueError, match="root must be 32 bytes"):
        verify_smt_proof(tree.root[:-1], 9, val(9), siblings, 8)
    with pytest.raises(ValueError, match="key 256 is out of range"):
        smt_root_from_proof(256, val(9), siblings, 8)
    with pytest.raises(ValueError, match="value must be 32 bytes"):
        smt_root_from_proof(9, val(9)[:5], siblings, 8)


def test_the_hasher_is_called_once_per_level_plus_the_leaf():
    tree = smt.SparseMerkleTree(8)
    tree.set(9, val(9))
    calls = []

    def metered(data: bytes) -> bytes:
        calls.append(len(data))
        return eth_keccak(data)

    assert verify_smt_proof(tree.root, 9, val(9), tree.prove(9), 8, hasher=metered)
    assert calls == [33] + [65] * 8


def test_selector_names_a_backend():
    from primitives import _backend

    assert smt.BACKEND in ("compiled", "pure")
    assert _backend.backends()["smt"] == smt.BACKEND


WRITES = st.lists(
    st.tuples(st.integers(0, 255), st.sampled_from([EMPTY_VALUE, val(1), val(2), val(2**255)])),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(WRITES, max_size=4), probe=st.integers(0, 255))
def test_property_twins_match_a_dict_model(batches, probe):
    pure, compiled = both_twins()
    a, b = pure.SparseMerkleTree(8), compiled.SparseMerkleTree(8)
    model: dict[int, bytes] = {}
    for batch in batches:
        for key, value in batch:
            if value == EMPTY_VALUE:
                model.pop(key, None)
            else:
                model[key] = value
        assert a.update_many(batch) == b.update_many(batch)
    assert list(a.items()) == list(b.items()) == sorted(model.items())
    fresh = compiled.SparseMerkleTree(8)
    assert fresh.update_many(model.items()) == a.root
    value = model.get(probe, EMPTY_VALUE)
    assert a.prove(probe) == b.prove(probe)
    assert verify_smt_proof(b.root, probe, value, b.prove(probe), 8)


def test_compiled_batch_is_safe_against_readers_in_other_threads():
    import threading

    _, compiled = both_twins()
    tree = compiled.SparseMerkleTree(32)
    before = tree.root
    rng = random.Random(13)
    items = [(rng.randrange(1 << 32), rng.randbytes(32)) for _ in range(5000)]
    expected = compiled.SparseMerkleTree(32).update_many(items)
    writer = threading.Thread(target=tree.update_many, args=(items,))
    seen = set()
    writer.start()
    while writer.is_alive():
        try:
            seen.add(tree.root)  # either a whole root or a refusal, never a torn read
        except RuntimeError as exc:
            assert "being updated by another thread" in str(exc)
    writer.join()
    assert seen <= {before, expected}
    assert tree.root == expected
