"""The Groth16 verifier: one product of pairings with a single final exponentiation.

A proof (A, B, C) for public inputs ``x`` is valid when

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),
    vk_x = IC_0 + sum x_i IC_i.

``verify`` rearranges it as ``FE(ML(B, -A) * ML(gamma, vk_x) * ML(delta, C))
* e(alpha, beta) == 1``: three Miller loops, one final exponentiation, and
``e(alpha, beta)`` cached on the key.

What ``verify`` reports, and how:

* ``False``: the inputs are well formed and the pairing equation fails.
* :class:`InvalidProof` (a ``ValueError``) with a message naming the problem:
  a point off its curve or outside its subgroup (G2 has a cofactor, so the
  subgroup check on B matters), a coordinate or public input that is not
  canonical (not in ``[0, modulus)``), a proof point at infinity, or a public
  input count different from the key's.
"""

from __future__ import annotations

from collections.abc import Sequence

from py_ecc import optimized_bn128 as bn

from primitives.snark import kernels
from primitives.snark.kernels import (
    G1_INFINITY,
    G2_INFINITY,
    G1Point,
    G2Point,
    R,
    check_g1,
    check_g2,
)


def _invalid(msg: str) -> Exception:
    from primitives.snark.groth16 import InvalidProof

    return InvalidProof(msg)


def check_g1_point(p: object, what: str, allow_infinity: bool = True) -> G1Point:
    """``p`` as a canonical affine G1 point on the curve (G1 has cofactor 1)."""
    try:
        point = check_g1(p, what)
    except ValueError as exc:
        raise _invalid(str(exc)) from None
    if point == G1_INFINITY and not allow_infinity:
        raise _invalid(f"{what} is the point at infinity")
    return point


def check_g2_point(p: object, what: str, allow_infinity: bool = True) -> G2Point:
    """``p`` as a canonical G2 point on the twist and in the order-R subgroup."""
    try:
        point = check_g2(p, what)
    except ValueError as exc:
        raise _invalid(str(exc)) from None
    if point == G2_INFINITY:
        if not allow_infinity:
            raise _invalid(f"{what} is the point at infinity")
        return point
    # The twist has points of order other than R; R * P = O only inside G2 proper.
    if not bn.is_inf(bn.multiply(kernels.to_py_ecc_g2(point), R)):
        raise _invalid(f"{what} is on the twist but not in the order-R subgroup G2")
    return point


def check_public_inputs(public_inputs: object, n_public: int) -> list[int]:
    """The public inputs as canonical field elements, exactly as many as the key has."""
    if not isinstance(public_inputs, list | tuple):
        raise _invalid("public inputs must be a list of field elements")
    if len(public_inputs) != n_public:
        raise _invalid(f"expected {n_public} public inputs, got {len(public_inputs)}")
    out = []
    for i, x in enumerate(public_inputs):
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < R:
            raise _invalid(f"public input {i} is not a field element in [0, R): {x!r}")
        out.append(x)
    return out


def verify(vk: object, public_inputs: Sequence[int], proof: object) -> bool:
    """True iff ``proof`` is valid for ``public_inputs`` under ``vk``; see the module doc."""
    from primitives.snark.groth16 import Proof, VerifyingKey

    if not isinstance(vk, VerifyingKey):
        raise _invalid("vk is not a VerifyingKey")
    if not isinstance(proof, Proof):
        raise _invalid("proof is not a Proof")
    xs = check_public_inputs(public_inputs, vk.n_public)
    a = check_g1_point(proof.a, "proof A", allow_infinity=False)
    b = check_g2_point(proof.b, "proof B", allow_infinity=False)
    c = check_g1_point(proof.c, "proof C", allow_infinity=False)
    vk_x = kernels.msm_g1(list(vk.ic), [1, *xs])
    f = (
        bn.pairing(kernels.to_py_ecc_g2(b), bn.neg(kernels.to_py_ecc_g1(a)), final_exponentiate=False)
        * bn.pairing(kernels.to_py_ecc_g2(vk.gamma_g2), kernels.to_py_ecc_g1(vk_x), final_exponentiate=False)
        * bn.pairing(kernels.to_py_ecc_g2(vk.delta_g2), kernels.to_py_ecc_g1(c), final_exponentiate=False)
    )
    return bn.final_exponentiate(f) * vk.alpha_beta == bn.FQ12.one()
