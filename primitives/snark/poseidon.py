"""Poseidon over BN254's scalar field, bit-for-bit compatible with circomlib/circomlibjs.

``poseidon(inputs)`` hashes 1 to 16 field elements; ``poseidon_params(t)`` hands
the round constants and MDS matrix to the circuit gadget, so the gadget and this
function are two views of one instance. The permutation is compiled when built
(``primitives.snark._poseidon_c``) and pure Python otherwise.
"""

from __future__ import annotations

from primitives import _backend
from primitives.snark import _poseidon_py
from primitives.snark._poseidon_params import (
    FULL_ROUNDS,
    MAX_WIDTH,
    PARTIAL_ROUNDS,
    PoseidonParams,
    poseidon_params,
)

MAX_INPUTS = MAX_WIDTH - 1

_impl, BACKEND = _backend.choose("poseidon", _poseidon_py, "primitives.snark._poseidon_c")

poseidon = _impl.poseidon
poseidon_permutation = _impl.poseidon_permutation
poseidon_many = _impl.poseidon_many

__all__ = [
    "BACKEND",
    "FULL_ROUNDS",
    "MAX_INPUTS",
    "PARTIAL_ROUNDS",
    "PoseidonParams",
    "poseidon",
    "poseidon_many",
    "poseidon_params",
    "poseidon_permutation",
]
