"""Groth16 over BN254: the keys, the proof, and the quadratic arithmetic program.

The three steps live beside this file, each readable on its own:
``setup.py`` (keys from toxic waste, and a phase-2 style contribution),
``prover.py`` (a proof from a satisfying witness) and ``verifier.py`` (one
product of pairings). This module holds what they share.

The QAP follows snarkjs: after the circuit's ``m`` constraints come one
constraint ``w_i * 0 = 0`` per public wire (the constant one included), which
makes the public polynomials linearly independent so a proof cannot trade one
public input for another. The evaluation domain is the smallest power of two
``n >= m + n_public + 1`` and ``Z(X) = X^n - 1`` vanishes on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from py_ecc import optimized_bn128 as bn

from primitives.snark import kernels
from primitives.snark.kernels import G1_INFINITY, G2_INFINITY, G1Point, G2Point
from primitives.snark.r1cs import R1CS, Terms

G1_GEN: G1Point = kernels.from_py_ecc_g1(bn.G1)
G2_GEN: G2Point = kernels.from_py_ecc_g2(bn.G2)
COSET_SHIFT = 5
"""The multiplicative generator of Fr: its coset of any 2-power domain is disjoint from it."""


class InvalidProof(ValueError):
    """A proof, key or public input that is malformed (not merely false); the message says why."""


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof: A and C in G1, B in G2, as affine int tuples."""

    a: G1Point
    b: G2Point
    c: G1Point


@dataclass(frozen=True, eq=False)
class VerifyingKey:
    """What a verifier needs; ``ic[i]`` weighs public wire ``i`` (``ic[0]`` the constant one).

    Built only from valid points: construction checks every point is on its
    curve, in its subgroup and not at infinity, so a degenerate key (which
    would accept forged proofs) cannot exist as a ``VerifyingKey``.
    """

    alpha_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g2: G2Point
    ic: tuple[G1Point, ...]

    def __post_init__(self) -> None:
        from primitives.snark.verifier import check_g1_point, check_g2_point

        check_g1_point(self.alpha_g1, "vk alpha_1", allow_infinity=False)
        for name in ("beta_g2", "gamma_g2", "delta_g2"):
            check_g2_point(getattr(self, name), f"vk {name[:-3]}_2", allow_infinity=False)
        if not self.ic:
            raise InvalidProof("vk IC is empty: it needs at least the constant-one term")
        for i, p in enumerate(self.ic):
            check_g1_point(p, f"vk IC[{i}]", allow_infinity=False)

    @property
    def n_public(self) -> int:
        return len(self.ic) - 1

    @cached_property
    def alpha_beta(self) -> bn.FQ12:
        """e(alpha, beta), computed once per key: it is the same for every proof."""
        from primitives.snark.verifier import pairing_product

        return pairing_product([(self.alpha_g1, self.beta_g2)])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VerifyingKey):
            return NotImplemented
        return (self.alpha_g1, self.beta_g2, self.gamma_g2, self.delta_g2, self.ic) == (
            other.alpha_g1, other.beta_g2, other.gamma_g2, other.delta_g2, other.ic)

    __hash__ = None  # type: ignore[assignment]


@dataclass(eq=False)
class ProvingKey:
    """The prover's share of the setup, indexed by wire.

    ``a_query[i] = u_i(tau) G1``, ``b_g1_query``/``b_g2_query`` hold
    ``v_i(tau)``, ``l_query`` holds ``(beta u_i + alpha v_i + w_i)(tau) / delta``
    for the private wires only, and ``h_query[k] = tau^k Z(tau) / delta``.
    """

    n_wires: int
    n_public: int
    domain_size: int
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point
    delta_g1: G1Point
    delta_g2: G2Point
    a_query: list[G1Point] = field(repr=False)
    b_g1_query: list[G1Point] = field(repr=False)
    b_g2_query: list[G2Point] = field(repr=False)
    l_query: list[G1Point] = field(repr=False)
    h_query: list[G1Point] = field(repr=False)


def domain_size(r1cs: R1CS) -> int:
    """The smallest power of two holding the constraints and the public-input rows."""
    need = r1cs.n_constraints + r1cs.n_public + 1
    n = 1
    while n < need:
        n *= 2
    return n


def qap_rows(r1cs: R1CS) -> tuple[list[Terms], list[Terms], list[Terms]]:
    """The A, B, C rows of the QAP: the circuit's constraints, then ``w_i * 0 = 0`` per public wire."""
    a = [con[0] for con in r1cs.constraints] + [{i: 1} for i in range(r1cs.n_public + 1)]
    b = [con[1] for con in r1cs.constraints] + [{} for _ in range(r1cs.n_public + 1)]
    c = [con[2] for con in r1cs.constraints] + [{} for _ in range(r1cs.n_public + 1)]
    return a, b, c


def is_infinity(p: G1Point | G2Point) -> bool:
    return p == G1_INFINITY or p == G2_INFINITY


# The three steps, re-exported so callers write ``groth16.setup/prove/verify``.
from primitives.snark.prover import prove  # noqa: E402
from primitives.snark.setup import contribute, setup  # noqa: E402
from primitives.snark.verifier import verify  # noqa: E402

__all__ = [
    "InvalidProof",
    "Proof",
    "ProvingKey",
    "VerifyingKey",
    "contribute",
    "domain_size",
    "prove",
    "qap_rows",
    "setup",
    "verify",
]
