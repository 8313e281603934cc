"""Sparse Merkle tree in pure Python: the readable twin.

The hashing rules are documented in :mod:`primitives.smt`. This module also
holds the rules every twin shares (empty-subtree hashes, the proof checks with
an injectable hasher) so that they are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache

from primitives.keccak import keccak256

Hasher = Callable[[bytes], bytes]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_VALUE = bytes(32)
# Keys are machine words in the compiled twin, so both twins stop at 64 levels.
MAX_DEPTH = 64


def check_depth(depth: object) -> int:
    """``depth`` as an int in ``[1, MAX_DEPTH]``, or a ValueError saying why not."""
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise ValueError(f"depth must be an int, got {type(depth).__name__}")
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth {depth} is out of range: 1 <= depth <= {MAX_DEPTH}")
    return depth


def check_key(key: object, depth: int) -> int:
    """``key`` as an int in ``[0, 2**depth)``, or a ValueError saying why not."""
    if isinstance(key, bool) or not isinstance(key, int):
        raise ValueError(f"key must be an int, got {type(key).__name__}")
    if not 0 <= key < (1 << depth):
        raise ValueError(f"key {key} is out of range for depth {depth}: 0 <= key < 2**{depth}")
    return key


def check_value(value: object, what: str = "value") -> bytes:
    """``value`` as 32 bytes, or a ValueError naming ``what`` was wrong."""
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not isinstance(value, bytes):
        raise ValueError(f"{what} must be 32 bytes, got {type(value).__name__}")
    if len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(value)}")
    return value


def check_items(items: Iterable[tuple[int, bytes]], depth: int) -> dict[int, bytes]:
    """Every (key, value) checked, the last value of a repeated key winning."""
    batch: dict[int, bytes] = {}
    for i, item in enumerate(items):
        try:
            key, value = item
        except (TypeError, ValueError):
            raise ValueError(f"item {i} must be a (key, value) pair") from None
        batch[check_key(key, depth)] = check_value(value, f"value of item {i}")
    return batch


def hash_leaf(value: bytes, hasher: Hasher = keccak256) -> bytes:
    """The tree node of a leaf value: ``hasher(0x00 || value)``."""
    return hasher(LEAF_PREFIX + value)


def hash_node(left: bytes, right: bytes, hasher: Hasher = keccak256) -> bytes:
    """The parent of two nodes: ``hasher(0x01 || left || right)``."""
    return hasher(NODE_PREFIX + left + right)


def empty_hashes(depth: int, hasher: Hasher = keccak256) -> list[bytes]:
    """The node of an all-empty subtree at each level ``0..depth`` (leaf level first)."""
    check_depth(depth)
    if hasher is keccak256:
        return list(_keccak_empty_hashes(depth))
    nodes = [hash_leaf(EMPTY_VALUE, hasher)]
    for _ in range(depth):
        nodes.append(hash_node(nodes[-1], nodes[-1], hasher))
    return nodes


@cache
def _keccak_empty_hashes(depth: int) -> tuple[bytes, ...]:
    nodes = [hash_leaf(EMPTY_VALUE)]
    for _ in range(depth):
        nodes.append(hash_node(nodes[-1], nodes[-1]))
    return tuple(nodes)


def empty_root(depth: int) -> bytes:
    """The root of a tree of ``depth`` levels with every leaf empty."""
    return empty_hashes(depth)[depth]


def smt_root_from_proof(
    key: int, value: bytes, siblings: Sequence[bytes], depth: int, hasher: Hasher = keccak256
) -> bytes:
    """The root the ``siblings`` (leaf level first) commit to with ``value`` at ``key``.

    This is how a fraud proof recomputes a state root after changing one leaf:
    the same siblings, a new value.
    """
    check_depth(depth)
    check_key(key, depth)
    node = hash_leaf(check_value(value), hasher)
    if len(siblings) != depth:
        raise ValueError(f"proof must have {depth} siblings, got {len(siblings)}")
    for level, sibling in enumerate(siblings):
        sibling = check_value(sibling, f"sibling {level}")
        if (key >> level) & 1:
            node = hasher(NODE_PREFIX + sibling + node)
        else:
            node = hasher(NODE_PREFIX + node + sibling)
    return node


def verify_smt_proof(
    root: bytes,
    key: int,
    value: bytes,
    siblings: Sequence[bytes],
    depth: int,
    hasher: Hasher = keccak256,
) -> bool:
    """True when ``siblings`` show ``value`` at ``key`` under ``root``.

    ``value`` 32 zero bytes proves that ``key`` is absent. Malformed input
    (wrong lengths, key out of range) is a ValueError; a wrong claim is False.
    """
    root = check_value(root, "root")
    return smt_root_from_proof(key, value, siblings, depth, hasher) == root


class SparseMerkleTree:
    """Key-value map of ``2**depth`` 32-byte leaves with a Merkle root.

    Only nodes that differ from the empty subtree of their level are stored:
    one dict per level, keyed by the node's index within the level.
    """

    def __init__(self, depth: int = 32) -> None:
        self._depth = check_depth(depth)
        self._empty = _keccak_empty_hashes(depth)
        self._nodes: list[dict[int, bytes]] = [{} for _ in range(depth + 1)]
        self._values: dict[int, bytes] = {}

    @property
    def depth(self) -> int:
        """Number of levels below the root."""
        return self._depth

    @property
    def root(self) -> bytes:
        """The Merkle root of every leaf."""
        return self._nodes[self._depth].get(0, self._empty[self._depth])

    def get(self, key: int) -> bytes:
        """The value at ``key``; 32 zero bytes when it was never set."""
        return self._values.get(check_key(key, self._depth), EMPTY_VALUE)

    def set(self, key: int, value: bytes) -> bytes:
        """Store ``value`` at ``key`` (32 zero bytes deletes it) and return the new root."""
        return self.update_many([(check_key(key, self._depth), check_value(value))])

    def update_many(self, items: Iterable[tuple[int, bytes]]) -> bytes:
        """Apply many (key, value) writes and return the new root.

        Everything is checked before anything changes. Keys are sorted so each
        parent shared by several keys is hashed once per batch.
        """
        batch = check_items(items, self._depth)
        keys = sorted(batch)
        leaves, values = self._nodes[0], self._values
        for key in keys:
            value = batch[key]
            if value == EMPTY_VALUE:
                values.pop(key, None)
                leaves.pop(key, None)
            else:
                values[key] = value
                leaves[key] = keccak256(LEAF_PREFIX + value)
        for level in range(self._depth):
            children, parents = self._nodes[level], self._nodes[level + 1]
            empty_child, empty_parent = self._empty[level], self._empty[level + 1]
            keys = sorted({key >> 1 for key in keys})
            for index in keys:
                left = children.get(2 * index, empty_child)
                right = children.get(2 * index + 1, empty_child)
                node = keccak256(NODE_PREFIX + left + right)
                if node == empty_parent:
                    parents.pop(index, None)
                else:
                    parents[index] = node
        return self.root

    def prove(self, key: int) -> list[bytes]:
        """The ``depth`` siblings of ``key``'s path, leaf level first."""
        check_key(key, self._depth)
        return [
            self._nodes[level].get((key >> level) ^ 1, self._empty[level])
            for level in range(self._depth)
        ]

    def copy(self) -> SparseMerkleTree:
        """An independent tree with the same leaves; no hashing is redone."""
        twin = SparseMerkleTree.__new__(SparseMerkleTree)
        twin._depth = self._depth
        twin._empty = self._empty
        twin._nodes = [level.copy() for level in self._nodes]
        twin._values = self._values.copy()
        return twin

    def items(self) -> Iterator[tuple[int, bytes]]:
        """Every non-empty (key, value), in key order."""
        return iter(sorted(self._values.items()))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SparseMerkleTree(depth={self._depth}, leaves={len(self)}, root={self.root.hex()})"
