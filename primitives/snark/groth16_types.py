"""What the Groth16 steps share: the keys, the proof, point checks and the QAP's shape.

``setup.py``, ``prover.py`` and ``verifier.py`` each import this module and
none of them imports another, so each step reads on its own; ``groth16.py``
gathers all of them into one public namespace.

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
from primitives.snark.kernels import (
    G1_INFINITY,
    G2_INFINITY,
    G1Point,
    G2Point,
    Q,
    R,
    Vector,
    check_g1,
    check_g2,
)
from primitives.snark.pairing import pairing_product
from primitives.snark.r1cs import R1CS, Terms

G1_GEN: G1Point = kernels.from_py_ecc_g1(bn.G1)
G2_GEN: G2Point = kernels.from_py_ecc_g2(bn.G2)
COSET_SHIFT = 5
"""The multiplicative generator of Fr: its coset of any 2-power domain is disjoint from it."""


class InvalidProof(ValueError):
    """A proof, key or public input that is malformed (not merely false); the message says why."""


def check_g1_point(p: object, what: str, allow_infinity: bool = True) -> G1Point:
    """``p`` as a canonical affine G1 point on the curve (G1 has cofactor 1)."""
    try:
        point = check_g1(p, what)
    except ValueError as exc:
        raise InvalidProof(str(exc)) from None
    if point == G1_INFINITY and not allow_infinity:
        raise InvalidProof(f"{what} is the point at infinity")
    return point


def check_g2_point(p: object, what: str, allow_infinity: bool = True) -> G2Point:
    """``p`` as a canonical G2 point on the twist and in the order-R subgroup."""
    try:
        point = check_g2(p, what)
    except ValueError as exc:
        raise InvalidProof(str(exc)) from None
    if point == G2_INFINITY:
        if not allow_infinity:
            raise InvalidProof(f"{what} is the point at infinity")
        return point
    # The twist has points of order other than R; R * P = O only inside G2 proper.
    if not bn.is_inf(bn.multiply(kernels.to_py_ecc_g2(point), R)):
        raise InvalidProof(f"{what} is on the twist but not in the order-R subgroup G2")
    return point


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof: A and C in G1, B in G2, as affine int tuples."""

    a: G1Point
    b: G2Point
    c: G1Point


def _g2_tuple(p: object, what: str) -> G2Point:
    """A G2 point as nested tuples, so that one given as lists compares equal to it."""
    if not (isinstance(p, tuple | list) and len(p) == 2
            and all(isinstance(c, tuple | list) and len(c) == 2 for c in p)):
        raise InvalidProof(f"vk {what} is not a G2 point: {p!r}")
    (x0, x1), (y0, y1) = p
    return ((x0, x1), (y0, y1))


def _neg_g2(p: G2Point) -> G2Point:
    (x0, x1), (y0, y1) = p
    return ((x0, x1), ((Q - y0) % Q, (Q - y1) % Q))


def check_not_degenerate(gamma_g2: G2Point, delta_g2: G2Point) -> None:
    """Refuse a key whose delta is ``+-gamma`` or ``+-1`` times the G2 generator.

    With ``delta_2 == gamma_2`` (what a snarkjs key looks like before any
    phase-2 contribution: both are the generator) the proof ``A = alpha,
    B = beta, C = -vk_x`` satisfies the pairing equation for every public
    input, since ``e(vk_x, gamma) * e(-vk_x, delta) == 1``; with
    ``delta_2 == -gamma_2``, ``C = vk_x`` does. ``delta_2 == +-G2`` means
    delta is +-1, a value everyone knows where the setup needs one nobody
    knows (with snarkjs, whose gamma_2 is always the generator, that is
    ``delta_2 == gamma_2`` again). These are the degenerate keys that show
    in a key's own points; a key whose secrets somebody kept (a development
    setup from a public seed) looks like any other, and no check can tell.
    """
    gamma_g2, delta_g2 = _g2_tuple(gamma_g2, "gamma_2"), _g2_tuple(delta_g2, "delta_2")
    known_secret = "a secret everyone knows"
    problems = (
        (gamma_g2, "equals gamma_2 (no phase-2 contribution), anyone could forge proofs"),
        (_neg_g2(gamma_g2), "equals -gamma_2, anyone could forge proofs"),
        (G2_GEN, f"is the G2 generator (delta = 1, no phase-2 contribution): {known_secret}"),
        (_neg_g2(G2_GEN), f"is minus the G2 generator (delta = -1): {known_secret}"),
    )
    for point, what in problems:
        if delta_g2 == point:
            raise InvalidProof(f"verifying key is degenerate: delta_2 {what}")


@dataclass(frozen=True, eq=False)
class VerifyingKey:
    """What a verifier needs; ``ic[i]`` weighs public wire ``i`` (``ic[0]`` the constant one).

    Construction checks every point is on its curve, in its subgroup and not
    at infinity, and refuses the degenerate deltas of :func:`check_not_degenerate`,
    with which anyone could forge a proof. It cannot tell whether someone
    kept the toxic waste: a key from a public seed (``setup.py``) passes,
    and forging with it is as easy.
    """

    alpha_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g2: G2Point
    ic: tuple[G1Point, ...]

    def __post_init__(self) -> None:
        check_g1_point(self.alpha_g1, "vk alpha_1", allow_infinity=False)
        for name in ("beta_g2", "gamma_g2", "delta_g2"):
            check_g2_point(getattr(self, name), f"vk {name[:-3]}_2", allow_infinity=False)
        check_not_degenerate(self.gamma_g2, self.delta_g2)
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

    The queries are packed (``kernels.G1Points``/``G2Points``: 64 or 128
    bytes a point, what the MSM kernels take as they are) and read as
    sequences of affine tuples; lists of tuples are accepted too.
    """

    n_wires: int
    n_public: int
    domain_size: int
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point
    delta_g1: G1Point
    delta_g2: G2Point
    a_query: Vector[G1Point] = field(repr=False)
    b_g1_query: Vector[G1Point] = field(repr=False)
    b_g2_query: Vector[G2Point] = field(repr=False)
    l_query: Vector[G1Point] = field(repr=False)
    h_query: Vector[G1Point] = field(repr=False)


def domain_size(r1cs: R1CS) -> int:
    """The smallest power of two holding the constraints and the public-input rows."""
    need = r1cs.n_constraints + r1cs.n_public + 1
    n = 1
    while n < need:
        n *= 2
    return n


def qap_rows(r1cs: R1CS) -> tuple[list[Terms], list[Terms], list[Terms]]:
    """The A, B, C rows of the QAP: the circuit's constraints, then ``w_i * 0 = 0`` per public wire."""
    cons = r1cs.constraints
    a = [con[0] for con in cons] + [{i: 1} for i in range(r1cs.n_public + 1)]
    b = [con[1] for con in cons] + [{} for _ in range(r1cs.n_public + 1)]
    c = [con[2] for con in cons] + [{} for _ in range(r1cs.n_public + 1)]
    return a, b, c


def is_infinity(p: G1Point | G2Point) -> bool:
    return p == G1_INFINITY or p == G2_INFINITY


__all__ = [
    "COSET_SHIFT",
    "G1_GEN",
    "G2_GEN",
    "InvalidProof",
    "Proof",
    "ProvingKey",
    "VerifyingKey",
    "check_g1_point",
    "check_g2_point",
    "check_not_degenerate",
    "domain_size",
    "is_infinity",
    "qap_rows",
]
