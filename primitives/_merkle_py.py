"""Binary Merkle tree over 32-byte leaves, in pure Python: the readable twin.

The hashing rules are documented in :mod:`primitives.merkle`. This module also
holds the rules every twin shares (``hash_leaf``, ``hash_node`` and the proof
checks with an injectable hasher), because an L1 contract runs them with its
gas-metered keccak and they must be written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from primitives.keccak import keccak256

Hasher = Callable[[bytes], bytes]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# Stands in for a missing right sibling and is the root of the empty tree. No
# keccak output is known to equal it, so padding cannot be forged as a leaf.
ZERO_HASH = bytes(32)
EMPTY_ROOT = ZERO_HASH


def as_bytes32(value: object, what: str) -> bytes:
    """``value`` as 32 bytes, or a ValueError naming ``what`` was wrong."""
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, (bytearray, memoryview)):
        data = bytes(value)
    else:
        raise ValueError(f"{what} must be 32 bytes, got {type(value).__name__}")
    if len(data) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(data)}")
    return data


def check_index(index: object, size: int, what: str = "index") -> int:
    """``index`` as an int in ``[0, size)``, or a ValueError saying why not."""
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"{what} must be an int, got {type(index).__name__}")
    if size == 0:
        raise ValueError(f"{what} {index} is out of range: the tree is empty")
    if not 0 <= index < size:
        raise ValueError(f"{what} {index} is out of range for {size} leaves")
    return index


def _checked_leaves(leaves: Iterable[object]) -> list[bytes]:
    return [as_bytes32(leaf, f"leaf {i}") for i, leaf in enumerate(leaves)]


def hash_leaf(leaf: bytes, hasher: Hasher = keccak256) -> bytes:
    """The tree node of a leaf: ``hasher(0x00 || leaf)``."""
    return hasher(LEAF_PREFIX + leaf)


def hash_node(left: bytes, right: bytes, hasher: Hasher = keccak256) -> bytes:
    """The parent of two nodes: ``hasher(0x01 || left || right)``."""
    return hasher(NODE_PREFIX + left + right)


def _next_level(level: list[bytes]) -> list[bytes]:
    if len(level) % 2:
        level = [*level, ZERO_HASH]
    return [keccak256(NODE_PREFIX + level[i] + level[i + 1]) for i in range(0, len(level), 2)]


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaf hashes first and the root's level last."""
    level = [keccak256(LEAF_PREFIX + leaf) for leaf in leaves]
    levels = [level]
    while len(level) > 1:
        level = _next_level(level)
        levels.append(level)
    return levels


def _proof_from_levels(levels: list[list[bytes]], index: int) -> list[bytes]:
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        proof.append(level[sibling] if sibling < len(level) else ZERO_HASH)
        index >>= 1
    return proof


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root of ``leaves`` (32 bytes each); ``ZERO_HASH`` for no leaves."""
    return compute_merkle_root(leaves)


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The siblings from leaf ``index`` up to the root, leaf level first."""
    checked = _checked_leaves(leaves)
    check_index(index, len(checked))
    return _proof_from_levels(_levels(checked), index)


class MerkleTree:
    """A tree that keeps all its levels, so each proof is a lookup, not a rebuild."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        checked = _checked_leaves(leaves)
        self._levels = _levels(checked) if checked else []

    @property
    def root(self) -> bytes:
        """The root, as :func:`merkle_root` computes it."""
        return self._levels[-1][0] if self._levels else EMPTY_ROOT

    def proof(self, index: int) -> list[bytes]:
        """The siblings of leaf ``index``, as :func:`merkle_proof` computes them."""
        check_index(index, len(self))
        return _proof_from_levels(self._levels, index)

    def __len__(self) -> int:
        return len(self._levels[0]) if self._levels else 0


def compute_merkle_root(leaves: Sequence[bytes], hasher: Hasher = keccak256) -> bytes:
    """The root of ``leaves`` as a plain loop over ``hasher``: one call per leaf and per node.

    ``primitives.merkle.merkle_root(leaves, hasher)`` lands here, so an L1
    contract that rebuilds a root from calldata pays for each hash; the result
    always equals ``merkle_root(leaves)``.
    """
    level = [hasher(LEAF_PREFIX + leaf) for leaf in _checked_leaves(leaves)]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        if len(level) % 2:
            level.append(ZERO_HASH)
        level = [hasher(NODE_PREFIX + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def compute_root_from_proof(
    leaf: bytes, index: int, proof: Sequence[bytes], hasher: Hasher = keccak256
) -> bytes:
    """The root that ``proof`` commits to if ``leaf`` sits at ``index``.

    The proof's length is the tree's depth, so ``index`` must be below
    ``2 ** len(proof)``; a larger index would let one proof claim many positions.
    """
    node = hasher(LEAF_PREFIX + as_bytes32(leaf, "leaf"))
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"index must be an int, got {type(index).__name__}")
    if not 0 <= index < (1 << len(proof)):
        raise ValueError(f"index {index} is out of range for a proof of {len(proof)} siblings")
    for level, sibling in enumerate(proof):
        sibling = as_bytes32(sibling, f"proof[{level}]")
        if index & 1:
            node = hasher(NODE_PREFIX + sibling + node)
        else:
            node = hasher(NODE_PREFIX + node + sibling)
        index >>= 1
    return node


def verify_merkle_proof(
    root: bytes, leaf: bytes, index: int, proof: Sequence[bytes], hasher: Hasher = keccak256
) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` under ``root``.

    A well-formed but wrong claim (including an index the proof cannot reach)
    is False; malformed input (not 32 bytes, not an int, negative) is a ValueError.
    """
    root = as_bytes32(root, "root")
    if isinstance(index, int) and not isinstance(index, bool) and index >= (1 << len(proof)):
        as_bytes32(leaf, "leaf")
        return False
    return compute_root_from_proof(leaf, index, proof, hasher) == root
