"""Sparse Merkle tree: the account state of the rollups.

A tree of ``depth`` levels has ``2**depth`` leaves addressed by integer keys in
``[0, 2**depth)``. Every leaf holds a 32-byte value; the empty value is 32 zero
bytes, so proving a key absent is proving that it holds the empty value.

Hashing rules (``H`` is keccak256, ``||`` concatenation):

- leaf node: ``H(0x00 || value)``, for every leaf including empty ones. The
  key is not hashed into the leaf: the depth is fixed and bit ``k`` of the key
  chooses left (0) or right (1) at level ``k``, so the path itself binds the
  key, and a proof for one key never verifies for another.
- parent: ``H(0x01 || left || right)``. The prefixes keep leaf and node
  preimages apart (a second-preimage defence).
- empty subtrees: ``E[0] = H(0x00 || 0^32)`` and ``E[k+1] = H(0x01 || E[k] || E[k])``,
  precomputed per level; an empty tree's root is ``E[depth]`` (``empty_root``).
  Nodes equal to ``E[level]`` are not stored, so memory grows with the number
  of non-empty leaves times the depth, not with ``2**depth``.
- a proof is the ``depth`` sibling nodes along the key's path, leaf level first.

``SparseMerkleTree`` is compiled when built (nodes in C hash tables, batch
updates rehashed in C without the GIL) and pure Python otherwise.
``smt_root_from_proof`` and ``verify_smt_proof`` are plain Python with an
injectable ``hasher`` so an L1 contract can charge gas per hash; a fraud proof
uses ``smt_root_from_proof`` to recompute a root after changing one leaf.
"""

from __future__ import annotations

from primitives import _backend, _smt_py
from primitives._smt_py import (
    EMPTY_VALUE,
    MAX_DEPTH,
    Hasher,
    empty_hashes,
    empty_root,
    hash_leaf,
    hash_node,
    smt_root_from_proof,
    verify_smt_proof,
)

_impl, BACKEND = _backend.choose("smt", _smt_py, "primitives._smt_c")

SparseMerkleTree = _impl.SparseMerkleTree

__all__ = [
    "BACKEND",
    "EMPTY_VALUE",
    "MAX_DEPTH",
    "Hasher",
    "SparseMerkleTree",
    "empty_hashes",
    "empty_root",
    "hash_leaf",
    "hash_node",
    "smt_root_from_proof",
    "verify_smt_proof",
]
