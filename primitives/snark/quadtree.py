"""Sparse 4-ary Merkle tree hashed with Poseidon: the reference for the ``quadmerkle`` gadget.

It holds a zk-rollup's account state: every leaf is a field element of BN254's
scalar field (``0 <= leaf < R``), typically the Poseidon hash of an account,
and the circuit proves reads and writes against the root.

Shape: ``depth_bits`` is even, ``2 <= depth_bits <= 32``. The tree has
``levels = depth_bits // 2`` levels of 4-way branching and ``4**levels``
(``2**depth_bits``) leaves addressed by indices in ``[0, 4**levels)``. Level
``k`` counts from the leaves (``k = 0``) up to the root (``k = levels``).
Below level ``k + 1``, the path of index ``i`` takes the child at position
``(i >> 2k) & 3``: the base-4 digits of ``i``, least significant first, which
are the index's bits read two at a time (``b0``, the low bit of the digit, is
bit ``2k`` of ``i``; ``b1``, the high one, is bit ``2k + 1``).

Hashing rules (``H`` is circomlib's Poseidon, :func:`primitives.snark.poseidon.poseidon`):

- a leaf is its value as stored, not hashed again; the empty leaf is 0, so
  proving an index unused is proving that it holds 0;
- a node is ``H([c0, c1, c2, c3])``, its four children in position order
  (one Poseidon of four inputs, width 5);
- an empty subtree of height ``k`` is ``z_k``: ``z_0 = 0`` and
  ``z_{k+1} = H([z_k, z_k, z_k, z_k])`` (:func:`empty_hashes`); an empty
  tree's root is ``z_levels``;
- leaves and nodes are not domain-separated: a proof binds its index only
  because the verifier fixes the number of levels (the circuit does by its
  shape; :func:`verify_proof` checks ``index`` against ``len(proof)``, so a
  caller compares ``len(proof)`` with the tree's ``levels``). With the depth
  fixed, a node cannot pass for a leaf, and a proof for one index never
  verifies for another.

Storage: one dict per level, keyed by a node's position within its level
(``i >> 2k`` at level ``k``), holding only the nodes that differ from
``z_k``; memory grows with the number of non-zero leaves times ``levels``,
not with the capacity. A write rehashes its path: ``levels`` Poseidon calls,
fewer when a node's four children are all empty (that node is ``z_{k+1}``
without hashing) and none when the leaf already holds the value.

Proofs list, per level from the leaves up, the three siblings of the path's
node ``x`` at position ``p = (i >> 2k) & 3``, in this order::

    s0 = child[p ^ 1]                # x's partner in its pair
    s1 = child[(p ^ 2) & 2]          # the other pair, first then second
    s2 = child[((p ^ 2) & 2) + 1]

The order lets a circuit place ``x`` among its siblings with one selection
per bit. With ``b0 = p & 1`` and ``b1 = p >> 1``: first order the pair
``(x, s0)`` by ``b0`` (``(x, s0)`` if ``b0 = 0``, ``(s0, x)`` if 1), then put
that pair before (``b1 = 0``) or after (``b1 = 1``) ``(s1, s2)``. The children
come out as ``[pair, s1, s2]`` or ``[s1, s2, pair]``, which is why the other
pair is given in its own order and independent of ``b0``. For ``p = 0..3``::

    p = 0: [x,  s0, s1, s2]      p = 2: [s1, s2, x,  s0]
    p = 1: [s0, x,  s1, s2]      p = 3: [s1, s2, s0, x ]

The first ordering is one product ``b0 * (s0 - x)``; the second moves the two
pair members and costs one product each, so three constraints per level in
all (:mod:`primitives.snark.gadgets.quadmerkle`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache

from primitives.snark.field import R
from primitives.snark.poseidon import poseidon, poseidon_many

MIN_DEPTH_BITS = 2
MAX_DEPTH_BITS = 32
MAX_LEVELS = MAX_DEPTH_BITS // 2

Proof = tuple[tuple[int, int, int], ...]


# ---------------------------------------------------------------- checks


def _check_int(x: object, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise ValueError(f"{what} must be an int, got {type(x).__name__}")
    return x


def check_depth_bits(depth_bits: object) -> int:
    """``depth_bits`` as an even int in ``[2, 32]``, or a ValueError saying why not."""
    n = _check_int(depth_bits, "depth_bits")
    if not MIN_DEPTH_BITS <= n <= MAX_DEPTH_BITS:
        raise ValueError(f"depth_bits {n} is out of range: {MIN_DEPTH_BITS} <= depth_bits <= {MAX_DEPTH_BITS}")
    if n % 2:
        raise ValueError(f"depth_bits must be even (two bits per level), got {n}")
    return n


def _check_levels(levels: object) -> int:
    n = _check_int(levels, "levels")
    if not 0 <= n <= MAX_LEVELS:
        raise ValueError(f"levels {n} is out of range: 0 <= levels <= {MAX_LEVELS}")
    return n


def check_index(index: object, levels: int) -> int:
    """``index`` as an int in ``[0, 4**levels)``, or a ValueError saying why not."""
    i = _check_int(index, "index")
    if not 0 <= i < 1 << (2 * levels):
        raise ValueError(f"index {i} is out of range for {levels} levels: 0 <= index < 4**{levels}")
    return i


def check_field(x: object, what: str = "leaf") -> int:
    """``x`` as a field element (an int in ``[0, R)``), or a ValueError naming ``what``."""
    v = _check_int(x, what)
    if not 0 <= v < R:
        raise ValueError(f"{what} {v} is not a field element: 0 <= {what} < R")
    return v


def _check_proof(proof: object) -> list[tuple[int, int, int]]:
    if not isinstance(proof, (tuple, list)):
        raise ValueError(f"proof must be a tuple of levels, got {type(proof).__name__}")
    if not 1 <= len(proof) <= MAX_LEVELS:
        raise ValueError(f"proof must have 1 to {MAX_LEVELS} levels, got {len(proof)}")
    out = []
    for k, level in enumerate(proof):
        if not isinstance(level, (tuple, list)) or len(level) != 3:
            raise ValueError(f"proof level {k} must be 3 siblings, got {level!r}")
        s0, s1, s2 = (check_field(s, f"proof[{k}][{j}]") for j, s in enumerate(level))
        out.append((s0, s1, s2))
    return out


# ---------------------------------------------------------------- shared rules


@cache
def _zeros() -> tuple[int, ...]:
    z = [0]
    for _ in range(MAX_LEVELS):
        z.append(poseidon([z[-1]] * 4))
    return tuple(z)


def empty_hashes(levels: int) -> list[int]:
    """``[z_0, ..., z_levels]``: the empty subtree of each height, leaves first (computed once)."""
    return list(_zeros()[: _check_levels(levels) + 1])


def digits(index: int, levels: int) -> list[int]:
    """The ``levels`` base-4 digits of ``index``, leaf level first: ``(index >> 2k) & 3``."""
    index = check_index(index, _check_levels(levels))
    return [(index >> (2 * k)) & 3 for k in range(levels)]


def root_from_proof(leaf: int, index: int, proof: Sequence[Sequence[int]]) -> int:
    """The root that ``proof`` (three siblings per level, leaves first) gives ``leaf`` at ``index``.

    ``len(proof)`` is the number of levels, so ``index`` must be below
    ``4**len(proof)``. Recomputing a root after a write uses the same proof
    with the new leaf.
    """
    levels = _check_proof(proof)
    index = check_index(index, len(levels))
    node = check_field(leaf)
    for s0, s1, s2 in levels:
        p = index & 3
        pair = [s0, node] if p & 1 else [node, s0]
        node = poseidon([s1, s2, *pair] if p & 2 else [*pair, s1, s2])
        index >>= 2
    return node


def verify_proof(leaf: int, index: int, proof: Sequence[Sequence[int]], root: int) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` under ``root``.

    Malformed input (a value that is no field element, a level without three
    siblings, an index out of range) is a ValueError; a wrong claim is False.
    """
    root = check_field(root, "root")
    return root_from_proof(leaf, index, proof) == root


# ---------------------------------------------------------------- the tree


class QuadTree:
    """``4**levels`` field-element leaves under one Poseidon root; only non-empty nodes are stored."""

    __slots__ = ("_depth_bits", "_levels", "_zeros", "_nodes")

    def __init__(self, depth_bits: int) -> None:
        self._depth_bits = check_depth_bits(depth_bits)
        self._levels = depth_bits // 2
        self._zeros = _zeros()
        # _nodes[k]: position within level k -> node, for nodes != z_k; _nodes[levels] holds the root.
        self._nodes: list[dict[int, int]] = [{} for _ in range(self._levels + 1)]

    @property
    def depth_bits(self) -> int:
        """Bits of an index: twice the number of levels."""
        return self._depth_bits

    @property
    def levels(self) -> int:
        """Levels of 4-way branching between the leaves and the root."""
        return self._levels

    @property
    def capacity(self) -> int:
        """Number of leaves: ``4**levels``."""
        return 1 << self._depth_bits

    @property
    def root(self) -> int:
        """The Poseidon root over every leaf; ``z_levels`` when all are empty."""
        return self._nodes[self._levels].get(0, self._zeros[self._levels])

    def get(self, index: int) -> int:
        """The leaf at ``index``; 0 when it was never set."""
        return self._nodes[0].get(check_index(index, self._levels), 0)

    def set(self, index: int, leaf: int) -> None:
        """Store ``leaf`` at ``index`` (0 empties it) and rehash the path to the root."""
        pos = check_index(index, self._levels)
        node = check_field(leaf)
        nodes, zeros = self._nodes, self._zeros
        if nodes[0].get(pos, 0) == node:
            return
        for k in range(self._levels):
            level, zk = nodes[k], zeros[k]
            if node == zk:
                level.pop(pos, None)
            else:
                level[pos] = node
            base = pos & ~3
            get = level.get
            c0, c1, c2, c3 = get(base, zk), get(base + 1, zk), get(base + 2, zk), get(base + 3, zk)
            if c0 == zk and c1 == zk and c2 == zk and c3 == zk:
                node = zeros[k + 1]
            else:
                node = poseidon([c0, c1, c2, c3])
            pos >>= 2
        if node == zeros[self._levels]:
            nodes[self._levels].pop(0, None)
        else:
            nodes[self._levels][0] = node

    def set_many(self, updates: Mapping[int, int]) -> None:
        """Apply many writes at once, hashing every touched node once per batch.

        Everything is checked before anything changes. Filling ``n``
        contiguous leaves this way costs about ``n/3`` hashes in all (``n/4``
        parents, ``n/16`` grandparents, ...) plus about one per level above
        them, instead of ``levels`` per leaf.
        """
        if not isinstance(updates, Mapping):
            raise ValueError(f"updates must be a mapping of index to leaf, got {type(updates).__name__}")
        batch = {
            check_index(i, self._levels): check_field(v, f"leaf at index {i}") for i, v in updates.items()
        }
        nodes, zeros = self._nodes, self._zeros
        leaves = nodes[0]
        touched = set()
        for i, v in batch.items():
            if leaves.get(i, 0) == v:
                continue
            if v:
                leaves[i] = v
            else:
                leaves.pop(i, None)
            touched.add(i >> 2)
        for k in range(self._levels):
            if not touched:
                break
            children, parents, zk = nodes[k], nodes[k + 1], zeros[k]
            get = children.get
            hashed, inputs = [], []
            for p in touched:
                b = p << 2
                kids = [get(b, zk), get(b + 1, zk), get(b + 2, zk), get(b + 3, zk)]
                if kids[0] == zk and kids[1] == zk and kids[2] == zk and kids[3] == zk:
                    parents.pop(p, None)
                else:
                    hashed.append(p)
                    inputs.append(kids)
            parents.update(zip(hashed, poseidon_many(inputs), strict=True))
            touched = {p >> 2 for p in touched}

    def proof(self, index: int) -> Proof:
        """The three siblings per level of ``index``'s path, leaves first, in the documented order."""
        pos = check_index(index, self._levels)
        out = []
        for k in range(self._levels):
            get, zk = self._nodes[k].get, self._zeros[k]
            p = pos & 3
            base = pos - p
            other = base + ((p ^ 2) & 2)
            out.append((get(base + (p ^ 1), zk), get(other, zk), get(other + 1, zk)))
            pos >>= 2
        return tuple(out)

    def copy(self) -> QuadTree:
        """An independent tree with the same leaves: the level dicts are copied, nothing is rehashed."""
        twin = QuadTree.__new__(QuadTree)
        twin._depth_bits = self._depth_bits
        twin._levels = self._levels
        twin._zeros = self._zeros
        twin._nodes = [level.copy() for level in self._nodes]
        return twin

    def items(self) -> Iterator[tuple[int, int]]:
        """Every non-empty (index, leaf), in index order."""
        return iter(sorted(self._nodes[0].items()))

    def __len__(self) -> int:
        """Number of non-empty leaves."""
        return len(self._nodes[0])

    def __repr__(self) -> str:
        return f"QuadTree(depth_bits={self._depth_bits}, leaves={len(self)}, root={self.root:#x})"
