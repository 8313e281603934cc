"""The Groth16 verifier: one product of pairings with a single final exponentiation.

A proof (A, B, C) for public inputs ``x`` is valid when

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),
    vk_x = IC_0 + sum x_i IC_i.

``verify`` rearranges it as ``FE(ML(B, -A) * ML(gamma, vk_x) * ML(delta, C))
* e(alpha, beta) == 1``: three Miller loops sharing their squarings, one final
exponentiation (``pairing.py``), and ``e(alpha, beta)`` cached on the key.

What ``verify`` reports, and how:

* ``False``: the inputs are well formed and the pairing equation fails.
* :class:`InvalidProof` (a ``ValueError``) with a message naming the problem:
  a point off its curve or outside its subgroup (G2 has a cofactor, so the
  subgroup check on B matters), a coordinate or public input that is not
  canonical (not in ``[0, modulus)``), a proof point at infinity, a public
  input count different from the key's, or a degenerate key (delta_2 equal
  to +-gamma_2 or +-the G2 generator: anyone could forge proofs under it).
  ``VerifyingKey`` refuses such a key when built; ``verify`` checks again,
  cheaply, so a key altered after construction cannot slip through.
"""

from __future__ import annotations

from collections.abc import Sequence

from py_ecc import optimized_bn128 as bn

from primitives.snark import kernels
from primitives.snark.groth16_types import (
    InvalidProof,
    Proof,
    VerifyingKey,
    check_g1_point,
    check_g2_point,
    check_not_degenerate,
)
from primitives.snark.kernels import Q, R
from primitives.snark.pairing import final_exponentiation, miller_loop_product, pairing_product


def check_public_inputs(public_inputs: object, n_public: int) -> list[int]:
    """The public inputs as canonical field elements, exactly as many as the key has."""
    if not isinstance(public_inputs, list | tuple):
        raise InvalidProof("public inputs must be a list of field elements")
    if len(public_inputs) != n_public:
        raise InvalidProof(f"expected {n_public} public inputs, got {len(public_inputs)}")
    out = []
    for i, x in enumerate(public_inputs):
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < R:
            raise InvalidProof(f"public input {i} is not a field element in [0, R): {x!r}")
        out.append(x)
    return out


def verify(vk: object, public_inputs: Sequence[int], proof: object) -> bool:
    """True iff ``proof`` is valid for ``public_inputs`` under ``vk``; see the module doc."""
    if not isinstance(vk, VerifyingKey):
        raise InvalidProof("vk is not a VerifyingKey")
    check_not_degenerate(vk.gamma_g2, vk.delta_g2)
    if not isinstance(proof, Proof):
        raise InvalidProof("proof is not a Proof")
    xs = check_public_inputs(public_inputs, vk.n_public)
    a = check_g1_point(proof.a, "proof A", allow_infinity=False)
    b = check_g2_point(proof.b, "proof B", allow_infinity=False)
    c = check_g1_point(proof.c, "proof C", allow_infinity=False)
    vk_x = kernels.msm_g1(list(vk.ic), [1, *xs])
    neg_a = (a[0], (Q - a[1]) % Q)
    product = pairing_product([(neg_a, b), (vk_x, vk.gamma_g2), (c, vk.delta_g2)])
    return product * vk.alpha_beta == bn.FQ12.one()


__all__ = [
    "check_g1_point",
    "check_g2_point",
    "check_public_inputs",
    "final_exponentiation",
    "miller_loop_product",
    "pairing_product",
    "verify",
]
