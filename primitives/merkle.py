"""Binary Merkle tree over 32-byte leaves: transaction, withdrawal and block roots.

Hashing rules (``H`` is keccak256, ``||`` concatenation):

- leaf node: ``H(0x00 || leaf)``; every leaf is exactly 32 bytes.
- parent: ``H(0x01 || left || right)``. The distinct prefixes keep leaf and
  node preimages apart, so an inner node can never be passed off as a leaf
  (the second-preimage attack on unprefixed trees).
- odd level: a node with no right sibling is paired with ``ZERO_HASH`` (32 zero
  bytes). Equivalently, the leaves are padded to the next power of two with
  empty subtrees whose node is ``ZERO_HASH`` at every level. No leaf is
  duplicated, so two different leaf lists never share a root the way Bitcoin's
  duplicate-last-node rule allows.
- depth: ``ceil(log2(n))`` for ``n`` leaves; a proof has exactly that many
  siblings, leaf level first, and bit ``k`` of the index says whether the
  path is the right (1) or left (0) child at level ``k``.
- one leaf: the root is its leaf node and its proof is empty.
- empty tree: the root is ``ZERO_HASH``; it has no proofs.

``merkle_root``, ``merkle_proof`` and ``MerkleTree`` are compiled when built
(all hashing of a tree in one C call, without the GIL) and pure Python
otherwise. ``merkle_root`` with a ``hasher``, ``compute_root_from_proof`` and
``verify_merkle_proof`` are plain Python over that injected ``hasher``, so an
L1 contract can charge gas per hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from primitives import _backend, _merkle_py
from primitives._merkle_py import (
    EMPTY_ROOT,
    ZERO_HASH,
    Hasher,
    compute_merkle_root,
    compute_root_from_proof,
    hash_leaf,
    hash_node,
    verify_merkle_proof,
)

_impl, BACKEND = _backend.choose("merkle", _merkle_py, "primitives._merkle_c")

merkle_proof = _impl.merkle_proof
MerkleTree = _impl.MerkleTree


def merkle_root(leaves: Sequence[bytes], hasher: Hasher | None = None) -> bytes:
    """The root of ``leaves`` (32 bytes each); ``ZERO_HASH`` for no leaves.

    Without ``hasher`` the selected twin computes it. With one, the pure loop
    calls ``hasher`` once per leaf and once per node, so an L1 contract that
    passes its gas-metered keccak pays for every hash; the root is the same.
    """
    if hasher is None:
        return _impl.merkle_root(leaves)
    return compute_merkle_root(leaves, hasher)


__all__ = [
    "BACKEND",
    "EMPTY_ROOT",
    "ZERO_HASH",
    "Hasher",
    "MerkleTree",
    "compute_root_from_proof",
    "hash_leaf",
    "hash_node",
    "merkle_proof",
    "merkle_root",
    "verify_merkle_proof",
]
