"""Poseidon Merkle paths in a circuit: verify a leaf, or update one leaf and its root.

A node is ``poseidon([left, right])``. ``path_bits[i]`` says where the running
node sits at level ``i`` (0: left child, 1: right child), which is bit ``i``
of the leaf index; ``siblings[i]`` is the other child at that level. Each
level costs one constraint for the swap and 240 for the hash; an update
shares the bits and siblings between the old and the new path.
"""

from __future__ import annotations

from collections.abc import Sequence

from primitives.snark.gadgets.bits import select
from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
from primitives.snark.poseidon import poseidon
from primitives.snark.r1cs import LC, Circuit, as_lc


def root_from_path(leaf: int, index: int, siblings: Sequence[int]) -> int:
    """The reference: the root a leaf at ``index`` reaches through ``siblings``."""
    if not 0 <= index < 1 << len(siblings):
        raise ValueError(f"index {index} does not fit a tree of depth {len(siblings)}")
    node = leaf
    for level, sibling in enumerate(siblings):
        if (index >> level) & 1:
            node = poseidon([sibling, node])
        else:
            node = poseidon([node, sibling])
    return node


def _check_shape(path_bits: Sequence[LC], siblings: Sequence[LC | int]) -> None:
    if len(path_bits) != len(siblings):
        raise ValueError(f"{len(path_bits)} path bits but {len(siblings)} siblings")
    if not siblings:
        raise ValueError("a Merkle path needs at least one level")


def compute_root(c: Circuit, leaf: LC | int, path_bits: Sequence[LC], siblings: Sequence[LC | int]) -> LC:
    """The root reached from ``leaf``; every path bit is constrained to be 0 or 1."""
    _check_shape(path_bits, siblings)
    node = as_lc(leaf, c)
    with c.scope("merkle"):
        for level, (bit, sibling) in enumerate(zip(path_bits, siblings, strict=True)):
            with c.scope(f"level{level}"):
                c.assert_bool(bit, "bit")
                node = _hash_level(c, node, bit, as_lc(sibling, c))
    return node


def _hash_level(c: Circuit, node: LC, bit: LC, sibling: LC) -> LC:
    # left = bit ? sibling : node; right is the other one, a free linear combination.
    left = select(c, bit, sibling, node, "select")
    right = node + sibling - left
    return poseidon_gadget(c, [left, right])


def verify_path(
    c: Circuit, leaf: LC | int, path_bits: Sequence[LC], siblings: Sequence[LC | int], root: LC | int
) -> None:
    """``leaf`` is in the tree of ``root`` at the position ``path_bits`` give."""
    computed = compute_root(c, leaf, path_bits, siblings)
    c.assert_equal(computed, root, "merkle.root")


def update_path(
    c: Circuit,
    old_leaf: LC | int,
    new_leaf: LC | int,
    path_bits: Sequence[LC],
    siblings: Sequence[LC | int],
    old_root: LC | int,
) -> LC:
    """Check ``old_leaf`` under ``old_root``, and return the root with ``new_leaf`` in its place."""
    _check_shape(path_bits, siblings)
    old = as_lc(old_leaf, c)
    new = as_lc(new_leaf, c)
    with c.scope("merkle_update"):
        for level, (bit, sibling) in enumerate(zip(path_bits, siblings, strict=True)):
            with c.scope(f"level{level}"):
                c.assert_bool(bit, "bit")
                sib = as_lc(sibling, c)
                with c.scope("old"):
                    old = _hash_level(c, old, bit, sib)
                with c.scope("new"):
                    new = _hash_level(c, new, bit, sib)
        c.assert_equal(old, old_root, "old_root")
    return new
