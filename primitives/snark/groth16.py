"""Groth16 over BN254: one namespace for the keys, the proof, and the three steps.

Each step lives in a file of its own, readable on its own:
``setup.py`` (keys from toxic waste, and a phase-2 style contribution),
``prover.py`` (a proof from a satisfying witness) and ``verifier.py`` (one
product of pairings). What they share -- the key and proof types, point
checks and the QAP's shape -- is in ``groth16_types.py``, which imports none
of them. This module only gathers the names, so callers write
``groth16.setup/prove/verify``; nothing inside ``primitives`` imports it.
"""

from __future__ import annotations

from primitives.snark import kernels
from primitives.snark.groth16_types import (
    COSET_SHIFT,
    G1_GEN,
    G2_GEN,
    InvalidProof,
    Proof,
    ProvingKey,
    VerifyingKey,
    domain_size,
    is_infinity,
    qap_rows,
)
from primitives.snark.prover import prove
from primitives.snark.setup import contribute, setup
from primitives.snark.verifier import verify

__all__ = [
    "COSET_SHIFT",
    "G1_GEN",
    "G2_GEN",
    "InvalidProof",
    "Proof",
    "ProvingKey",
    "VerifyingKey",
    "contribute",
    "domain_size",
    "is_infinity",
    "kernels",
    "prove",
    "qap_rows",
    "setup",
    "verify",
]
