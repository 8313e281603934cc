"""The Poseidon quadtree: the reference against a full recomputation, its proofs, and the gadget against both."""

from __future__ import annotations

import random

import pytest

from primitives.snark.gadgets import quadmerkle as qm
from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
from primitives.snark.poseidon import poseidon
from primitives.snark.quadtree import (
    QuadTree,
    digits,
    empty_hashes,
    root_from_proof,
    verify_proof,
)
from primitives.snark.r1cs import Circuit, ConstraintError, R

rng = random.Random(4242)


# ---------------------------------------------------------------- a naive model


def naive_levels(leaves: list[int]) -> list[list[int]]:
    """Every node of the full tree, level by level from the leaves, hashing everything."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([poseidon(below[j : j + 4]) for j in range(0, len(below), 4)])
    return levels


def naive_proof(levels: list[list[int]], index: int) -> tuple[tuple[int, int, int], ...]:
    """The documented sibling order, read off the full tree."""
    out = []
    for k in range(len(levels) - 1):
        pos = index >> (2 * k)
        p, base = pos & 3, pos & ~3
        kids = levels[k][base : base + 4]
        out.append((kids[p ^ 1], kids[(p ^ 2) & 2], kids[((p ^ 2) & 2) + 1]))
    return tuple(out)


def random_leaf() -> int:
    return rng.choice([0, 1, rng.randrange(1 << 64), rng.randrange(R), R - 1])


# ---------------------------------------------------------------- the reference


@pytest.mark.parametrize("depth_bits", [4, 6])
def test_reference_matches_naive_recomputation(depth_bits):
    tree = QuadTree(depth_bits)
    leaves = [0] * tree.capacity
    assert tree.root == naive_levels(leaves)[-1][0] == empty_hashes(tree.levels)[-1]
    for step in range(60):
        index = rng.randrange(tree.capacity)
        leaf = random_leaf() if step % 5 else 0  # every fifth write empties a leaf
        tree.set(index, leaf)
        leaves[index] = leaf
        levels = naive_levels(leaves)
        assert tree.root == levels[-1][0]
        assert tree.get(index) == leaf
        assert len(tree) == sum(1 for x in leaves if x)
        probe = rng.randrange(tree.capacity)
        assert tree.proof(probe) == naive_proof(levels, probe)
    assert list(tree.items()) == [(i, x) for i, x in enumerate(leaves) if x]
    for index in range(tree.capacity):
        tree.set(index, 0)
    assert tree.root == empty_hashes(tree.levels)[-1]
    assert all(not level for level in tree._nodes)  # only non-empty nodes are stored


def test_empty_hashes_digits_and_shape():
    z = empty_hashes(16)
    assert len(z) == 17 and z[0] == 0
    for k in range(16):
        assert z[k + 1] == poseidon([z[k]] * 4)
    assert empty_hashes(3) == z[:4]
    empty_hashes(3).append(5)  # a caller's list, not the cache
    assert empty_hashes(3) == z[:4]
    assert digits(0b11_10_01_00, 4) == [0, 1, 2, 3]
    assert digits(7, 3) == [3, 1, 0]
    tree = QuadTree(24)
    assert (tree.depth_bits, tree.levels, tree.capacity) == (24, 12, 2**24)
    assert tree.root == z[12] and len(tree.proof(0)) == 12


def test_proof_order_is_the_documented_table():
    tree = QuadTree(2)
    kids = [11, 22, 33, 44]
    tree.set_many(dict(enumerate(kids)))
    assert tree.root == poseidon(kids)
    # p = 0: [x, s0, s1, s2]; p = 1: [s0, x, s1, s2]; p = 2: [s1, s2, x, s0]; p = 3: [s1, s2, s0, x]
    assert [tree.proof(p)[0] for p in range(4)] == [(22, 33, 44), (11, 33, 44), (44, 11, 22), (33, 11, 22)]


@pytest.mark.parametrize("depth_bits", [6, 8])
def test_set_many_matches_one_set_at_a_time(depth_bits):
    one, many = QuadTree(depth_bits), QuadTree(depth_bits)
    for _ in range(3):
        batch = {rng.randrange(one.capacity): random_leaf() for _ in range(40)}
        batch[next(iter(batch))] = 0
        for index, leaf in batch.items():
            one.set(index, leaf)
        many.set_many(batch)
        assert many.root == one.root
        assert list(many.items()) == list(one.items())
        for index in [0, one.capacity - 1, *rng.sample(range(one.capacity), 5)]:
            assert many.proof(index) == one.proof(index)
    rebuilt = QuadTree(depth_bits)
    rebuilt.set_many(dict(one.items()))
    assert rebuilt.root == one.root
    many.set_many({i: 0 for i, _ in one.items()})
    assert many.root == empty_hashes(many.levels)[-1]
    assert all(not level for level in many._nodes)


def test_copy_is_independent():
    tree = QuadTree(8)
    tree.set_many({3: 30, 200: 2000})
    twin = tree.copy()
    assert twin.root == tree.root and twin.proof(3) == tree.proof(3)
    root = tree.root
    twin.set(3, 31)
    assert tree.root == root and tree.get(3) == 30 and twin.get(3) == 31
    tree.set(200, 0)
    assert twin.get(200) == 2000


def test_proofs_verify_and_fail_when_wrong():
    tree = state(8, [0, 255, 77])
    for index in [0, 255, 77, *rng.sample(range(256), 5)]:
        leaf, proof, root = tree.get(index), tree.proof(index), tree.root
        assert root_from_proof(leaf, index, proof) == root
        assert verify_proof(leaf, index, proof, root)
        assert verify_proof(leaf, index, list(map(list, proof)), root)  # lists are fine too
        assert not verify_proof((leaf + 1) % R, index, proof, root)
        if leaf:  # a non-empty leaf differs from its neighbours here, so no other index fits
            for flip in (1, 2, 3, 4, 16, 64, 192):
                assert not verify_proof(leaf, index ^ flip, proof, root)
        for k in range(4):
            for j in range(3):
                bad = [list(level) for level in proof]
                bad[k][j] = (bad[k][j] + 1) % R
                assert not verify_proof(leaf, index, bad, root)
        # The same siblings give the root after a write.
        twin = tree.copy()
        twin.set(index, 77)
        assert root_from_proof(77, index, proof) == twin.root


def test_a_proof_binds_its_index():
    tree = QuadTree(4)
    tree.set_many({i: 100 + i for i in range(16)})
    leaf = 100 + 6
    proof = tree.proof(6)
    assert [i for i in range(16) if verify_proof(leaf, i, proof, tree.root)] == [6]


def test_reference_rejects_bad_input():
    for bad, match in [(3, "even"), (0, "out of range"), (34, "out of range"), (True, "int"), ("8", "int")]:
        with pytest.raises(ValueError, match=match):
            QuadTree(bad)
    tree = QuadTree(4)
    for index, match in [(-1, "index -1 is out of range"), (16, "index 16"), (True, "index must be an int"), (1.0, "float")]:
        with pytest.raises(ValueError, match=match):
            tree.set(index, 1)
        with pytest.raises(ValueError, match=match):
            tree.get(index)
        with pytest.raises(ValueError, match=match):
            tree.proof(index)
    for leaf, match in [(R, "leaf .* is not a field element"), (-1, "not a field element"), (True, "leaf must be an int"), ("1", "str")]:
        with pytest.raises(ValueError, match=match):
            tree.set(1, leaf)
    tree.set(2, 5)
    root = tree.root
    with pytest.raises(ValueError, match="leaf at index 3"):
        tree.set_many({1: 9, 3: R})
    with pytest.raises(ValueError, match="index 16"):
        tree.set_many({1: 9, 16: 1})
    with pytest.raises(ValueError, match="mapping"):
        tree.set_many([(1, 9)])
    assert tree.root == root and tree.get(1) == 0  # nothing changed
    proof = tree.proof(2)
    with pytest.raises(ValueError, match="index 16 is out of range for 2 levels"):
        root_from_proof(5, 16, proof)
    with pytest.raises(ValueError, match="1 to 16 levels"):
        root_from_proof(5, 0, ())
    with pytest.raises(ValueError, match="proof level 1 must be 3 siblings"):
        root_from_proof(5, 2, (proof[0], proof[1][:2]))
    with pytest.raises(ValueError, match=r"proof\[0\]\[2\]"):
        root_from_proof(5, 2, ((1, 2, R), proof[1]))
    with pytest.raises(ValueError, match="proof must be a tuple"):
        root_from_proof(5, 2, 7)
    with pytest.raises(ValueError, match="root"):
        verify_proof(5, 2, proof, R)
    with pytest.raises(ValueError, match="leaf"):
        verify_proof(R + 5, 2, proof, root)
    with pytest.raises(ValueError, match="levels 17"):
        empty_hashes(17)
    with pytest.raises(ValueError, match="index 16"):
        digits(16, 2)


# ---------------------------------------------------------------- the gadget


def satisfied(c: Circuit) -> None:
    c.compile().check(c.witness())


def state(depth_bits: int, indices: list[int]) -> QuadTree:
    """A tree with random leaves, some next to ``indices`` so their siblings are not all empty."""
    tree = QuadTree(depth_bits)
    writes = {rng.randrange(tree.capacity): rng.randrange(R) for _ in range(20)}
    for i in indices:
        for d in (1, 2, 5, 17, 300):
            writes[(i ^ d) % tree.capacity] = rng.randrange(R)
        writes[i] = rng.randrange(R)
    tree.set_many(writes)
    return tree


def path_inputs(c: Circuit, tree: QuadTree, index: int):
    bits = qm.index_bits(c, c.private(index), tree.depth_bits)
    siblings = [tuple(c.private(s) for s in level) for level in tree.proof(index)]
    return bits, siblings


def test_gadget_matches_reference_at_depth_8():
    tree = state(8, [0, 255])
    for index in [0, 255, *rng.sample(range(1, 255), 2)]:
        leaf, root, new = tree.get(index), tree.root, rng.randrange(R)
        c = Circuit()
        bits, siblings = path_inputs(c, tree, index)
        assert [b.value for b in bits] == [(index >> i) & 1 for i in range(8)]
        assert qm.compute_root(c, c.private(leaf), bits, siblings).value == root
        new_root = qm.update(c, c.private(leaf), c.private(new), bits, siblings, c.public(root))
        satisfied(c)
        twin = tree.copy()
        twin.set(index, new)
        assert new_root.value == twin.root == root_from_proof(new, index, tree.proof(index))


def test_gadget_update_matches_reference_at_depth_24():
    top = 2**24 - 1
    middle = rng.randrange(1, top)
    tree = state(24, [0, top, middle])
    for index in (0, top, middle):
        leaf, root, new = tree.get(index), tree.root, rng.randrange(R)
        c = Circuit()
        bits, siblings = path_inputs(c, tree, index)
        new_root = qm.update(c, c.private(leaf), c.private(new), bits, siblings, c.public(root))
        assert c.n_constraints == 25 + 12 * 2 * qm.LEVEL_CONSTRAINTS + 1 == 7226
        satisfied(c)
        tree.set(index, new)
        assert new_root.value == tree.root
    c = Circuit()
    bits, siblings = path_inputs(c, tree, middle)
    assert qm.compute_root(c, c.private(tree.get(middle)), bits, siblings).value == tree.root


def test_wrong_sibling_leaf_or_bit_breaks_a_constraint():
    tree = state(8, [77])
    index, leaf, root = 77, tree.get(77), tree.root
    for wrong in [None, (0, 0), (1, 2), (3, 1)]:
        proof = [list(level) for level in tree.proof(index)]
        if wrong:
            k, j = wrong
            proof[k][j] = (proof[k][j] + 1) % R
        c = Circuit()
        bits = qm.index_bits(c, c.private(index), 8)
        qm.verify(c, c.private(leaf), bits, [[c.private(s) for s in lv] for lv in proof], c.public(root))
        if not wrong:
            satisfied(c)
            continue
        with pytest.raises(ConstraintError, match=r"'quadmerkle\.root'"):
            satisfied(c)
    c = Circuit()
    bits, siblings = path_inputs(c, tree, index)
    qm.update(c, c.private(leaf + 1), c.private(5), bits, siblings, c.public(root))
    with pytest.raises(ConstraintError, match=r"'quadmerkle\.old_root'"):
        satisfied(c)
    # Tampered witnesses: an intermediate S-box, a bit that is not a bit, a bit that lies.
    c = Circuit()
    bits, siblings = path_inputs(c, tree, index)
    qm.update(c, c.private(leaf), c.private(5), bits, siblings, c.public(root), name="sender")
    r1cs, w = c.compile(), c.witness()
    satisfied(c)
    names = r1cs.names
    target = names.index("sender.level2.old.poseidon.round0.sbox1.x2")
    x2_wire = max(r1cs.constraints[target][2])
    bad = list(w)
    bad[x2_wire] = (bad[x2_wire] + 1) % R
    with pytest.raises(ConstraintError, match=r"sender\.level2\.old\.poseidon\.round0\.sbox1"):
        r1cs.check(bad)
    bad = list(w)
    bad[c.wire(bits[0])] = 2
    with pytest.raises(ConstraintError, match=r"quadmerkle\.index\.bit0"):
        r1cs.check(bad)
    bad = list(w)
    bad[c.wire(bits[3])] ^= 1
    with pytest.raises(ConstraintError, match=r"quadmerkle\.index\.bits\.sum"):
        r1cs.check(bad)
    # An index that does not fit the bits.
    c = Circuit()
    qm.index_bits(c, c.private(256), 8)
    with pytest.raises(ConstraintError, match=r"quadmerkle\.index\.bits\.sum"):
        satisfied(c)


def test_constraint_counts_per_level_and_without_values():
    c = Circuit()
    poseidon_gadget(c, [c.private(i) for i in range(4)])
    assert c.n_constraints == qm.POSEIDON4_CONSTRAINTS == 297
    assert qm.LEVEL_CONSTRAINTS == 300
    tree = state(8, [100])
    proof = tree.proof(100)
    for levels in (1, 4):
        counts = []
        for with_values in (True, False):
            c = Circuit()
            sig = c.private if with_values else lambda _, c=c: c.private(None)
            steps = []
            bits = qm.index_bits(c, sig(100 % 4**levels), 2 * levels)
            steps.append(c.n_constraints)
            siblings = [tuple(sig(s) for s in lv) for lv in proof[:levels]]
            qm.compute_root(c, sig(1), bits, siblings)
            steps.append(c.n_constraints)
            qm.verify(c, sig(1), bits, siblings, sig(0))
            steps.append(c.n_constraints)
            qm.update(c, sig(1), sig(2), bits, siblings, sig(0))
            steps.append(c.n_constraints)
            counts.append(steps)
            index_cost, root_cost, verify_cost, update_cost = (b - a for a, b in zip([0, *steps[:-1]], steps, strict=True))
            assert index_cost == 2 * levels + 1
            assert root_cost == levels * 300
            assert verify_cost == levels * 300 + 1
            assert update_cost == levels * 600 + 1
            names = c.compile().names
            assert sum(n.endswith(".place.b0") for n in names) == 4 * levels
            assert f"quadmerkle.level{levels - 1}.new.place.b1.second" in names
        assert counts[0] == counts[1]
    # Depth 24 built for a setup (no values at all) has the documented size.
    c = Circuit()
    bits = qm.index_bits(c, c.private(None), 24)
    siblings = [tuple(c.private(None) for _ in range(3)) for _ in range(12)]
    root = qm.update(c, c.private(None), c.private(None), bits, siblings, c.public(None))
    assert root.value is None
    assert c.n_constraints == 7226


def test_gadget_rejects_bad_shapes():
    c = Circuit()
    bits = qm.index_bits(c, c.private(3), 4)
    sib = [(1, 2, 3), (4, 5, 6)]
    with pytest.raises(ValueError, match="need 4 index bits, got 3"):
        qm.compute_root(c, 1, bits[:3], sib)
    with pytest.raises(ValueError, match="siblings of level 1 must be 3"):
        qm.update(c, 1, 2, bits, [(1, 2, 3), (4, 5)], 0)
    with pytest.raises(ValueError, match="1 to 16 levels"):
        qm.verify(c, 1, [], [], 0)
    with pytest.raises(ValueError, match="even"):
        qm.index_bits(c, 3, 7)
    with pytest.raises(ValueError, match="index 16 does not fit 4 bits"):
        qm.index_bits(c, 16, 4)
