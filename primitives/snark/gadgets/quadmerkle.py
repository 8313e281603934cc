"""Poseidon 4-ary Merkle paths in a circuit: verify a leaf, or update one leaf and its root.

The tree, its hashing and its proof format are those of
:mod:`primitives.snark.quadtree`: a node is ``poseidon([c0, c1, c2, c3])``
and each level of a path gives three siblings ``(s0, s1, s2)``, ``s0`` the
partner of the path's node ``x`` in its pair and ``(s1, s2)`` the other pair.

``bits`` are the index's bits, little-endian, two per level: ``bits[2k]``
(``b0``) and ``bits[2k + 1]`` (``b1``) are the low and high bits of the
digit ``(index >> 2k) & 3``. :func:`index_bits` makes them from an index and
constrains each to be 0 or 1 and their sum to be the index (so the index fits
``depth_bits`` bits); :func:`compute_root`, :func:`verify` and :func:`update`
take them as given and do not check them again, so bits from anywhere else
must be constrained boolean by the caller.

Cost per level, with signals (not constants) as leaf and siblings:

- placement, 3 constraints: ``left = x + b0 * (s0 - x)`` orders the pair
  (``right = x + s0 - left`` is free), then ``c0 = left + b1 * (s1 - left)``
  and ``c1 = right + b1 * (s2 - right)`` put it before or after ``(s1, s2)``
  (``c2 = left + s1 - c0`` and ``c3 = right + s2 - c1`` are free);
- Poseidon of four inputs (width 5, 8 full rounds and 60 partial):
  8 * 5 * 3 + 60 * 3 - 3 = 297 constraints.

That is 300 per level for a path (:data:`LEVEL_CONSTRAINTS`), plus one for
the root in :func:`verify`. An update hashes the old and the new path with
shared bits and siblings: 600 per level plus one for the old root; at 24
index bits (12 levels) that is 7201, and 7226 with the 25 of
:func:`index_bits`. Constants can make some products free and the count
smaller. Building without values (every signal ``None``) gives the same
constraints.

Constraint names follow the scopes, e.g. ``quadmerkle.level3.place.b0`` or
``quadmerkle.level3.old.poseidon.round4.sbox0.x2``; ``name`` replaces the
outer ``quadmerkle`` when one circuit holds several paths.
"""

from __future__ import annotations

from collections.abc import Sequence

from primitives.snark.gadgets.bits import select, to_bits
from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
from primitives.snark.quadtree import MAX_LEVELS, check_depth_bits
from primitives.snark.r1cs import LC, Circuit, as_lc

PLACEMENT_CONSTRAINTS = 3
POSEIDON4_CONSTRAINTS = 297
LEVEL_CONSTRAINTS = PLACEMENT_CONSTRAINTS + POSEIDON4_CONSTRAINTS

Siblings = Sequence[Sequence[LC | int]]


def index_bits(c: Circuit, index: LC | int, depth_bits: int, name: str = "quadmerkle") -> list[LC]:
    """The ``depth_bits`` little-endian bits of ``index``, each 0 or 1, with ``index < 2**depth_bits``.

    ``depth_bits + 1`` constraints (:func:`~primitives.snark.gadgets.bits.to_bits`).
    """
    depth_bits = check_depth_bits(depth_bits)
    if isinstance(index, int) and not isinstance(index, bool) and not 0 <= index < 1 << depth_bits:
        raise ValueError(f"index {index} does not fit {depth_bits} bits")
    with c.scope(name), c.scope("index"):
        return to_bits(c, index, depth_bits)


def _check_shape(bits: Sequence[LC], siblings: Siblings) -> int:
    levels = len(siblings)
    if not 1 <= levels <= MAX_LEVELS:
        raise ValueError(f"a path needs 1 to {MAX_LEVELS} levels of siblings, got {levels}")
    if len(bits) != 2 * levels:
        raise ValueError(f"{levels} levels of siblings need {2 * levels} index bits, got {len(bits)}")
    for k, level in enumerate(siblings):
        if len(level) != 3:
            raise ValueError(f"siblings of level {k} must be 3, got {len(level)}")
    return levels


def _siblings(c: Circuit, level: Sequence[LC | int]) -> tuple[LC, LC, LC]:
    s0, s1, s2 = (as_lc(s, c) for s in level)
    return s0, s1, s2


def _hash_level(c: Circuit, x: LC, b0: LC, b1: LC, sib: tuple[LC, LC, LC]) -> LC:
    s0, s1, s2 = sib
    with c.scope("place"):
        left = select(c, b0, s0, x, "b0")  # (x, s0) or (s0, x)
        right = x + s0 - left
        c0 = select(c, b1, s1, left, "b1.first")  # the pair first, or (s1, s2) first
        c1 = select(c, b1, s2, right, "b1.second")
    c2 = left + s1 - c0
    c3 = right + s2 - c1
    return poseidon_gadget(c, [c0, c1, c2, c3])


def compute_root(
    c: Circuit, leaf: LC | int, bits: Sequence[LC], siblings: Siblings, name: str = "quadmerkle"
) -> LC:
    """The root ``leaf`` reaches through ``siblings``; ``bits`` must already be constrained boolean."""
    levels = _check_shape(bits, siblings)
    node = as_lc(leaf, c)
    with c.scope(name):
        for k in range(levels):
            with c.scope(f"level{k}"):
                b0, b1 = as_lc(bits[2 * k], c), as_lc(bits[2 * k + 1], c)
                node = _hash_level(c, node, b0, b1, _siblings(c, siblings[k]))
    return node


def verify(
    c: Circuit,
    leaf: LC | int,
    bits: Sequence[LC],
    siblings: Siblings,
    root: LC | int,
    name: str = "quadmerkle",
) -> None:
    """``leaf`` sits at the index ``bits`` encode in the tree of ``root``."""
    computed = compute_root(c, leaf, bits, siblings, name)
    with c.scope(name):
        c.assert_equal(computed, root, "root")


def update(
    c: Circuit,
    old_leaf: LC | int,
    new_leaf: LC | int,
    bits: Sequence[LC],
    siblings: Siblings,
    old_root: LC | int,
    name: str = "quadmerkle",
) -> LC:
    """Check ``old_leaf`` under ``old_root`` and return the root with ``new_leaf`` in its place.

    Both paths share ``bits`` and ``siblings``: writing one leaf leaves every
    sibling unchanged.
    """
    levels = _check_shape(bits, siblings)
    old, new = as_lc(old_leaf, c), as_lc(new_leaf, c)
    with c.scope(name):
        for k in range(levels):
            with c.scope(f"level{k}"):
                b0, b1 = as_lc(bits[2 * k], c), as_lc(bits[2 * k + 1], c)
                sib = _siblings(c, siblings[k])
                with c.scope("old"):
                    old = _hash_level(c, old, b0, b1, sib)
                with c.scope("new"):
                    new = _hash_level(c, new, b0, b1, sib)
        c.assert_equal(old, old_root, "old_root")
    return new
