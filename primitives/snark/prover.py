"""The Groth16 prover: from a satisfying witness to three curve points.

Steps, in the order the code runs them:

1. Check the witness against every constraint, so a bad witness fails here
   with the name of the broken constraint rather than as a proof that does
   not verify.
2. Evaluate the rows ``A_j . w``, ``B_j . w``, ``C_j . w`` over the domain
   and interpolate polynomials ``a, b, c`` (inverse FFT).
3. Compute ``h = (a b - c) / Z``. On the domain itself ``Z`` is zero, so the
   division happens on a coset ``g * omega^j`` (g = 5, not in any 2-power
   subgroup), where ``Z(g omega^j) = g^n - 1`` is one nonzero constant:
   shift the coefficients by powers of g, FFT, divide pointwise, inverse
   FFT, and unshift. ``a b - c`` has degree < 2n but ``h`` has degree < n - 1,
   so n coset points determine it.
4. Four multi-scalar multiplications, blinded with random ``r, s``:
   ``A = alpha + sum w_i u_i + r delta``,
   ``B = beta + sum w_i v_i + s delta`` (in G2, and in G1 for C),
   ``C = sum_private w_i L_i + sum h_k H_k + s A + r B - r s delta``.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence

from primitives.snark import kernels
from primitives.snark.groth16_types import COSET_SHIFT, Proof, ProvingKey
from primitives.snark.kernels import FrWords, G1Point, G2Point, R, Vector
from primitives.snark.r1cs import R1CS


def compute_h(r1cs: R1CS, rows: tuple[Vector[int], Vector[int], Vector[int]], witness: Sequence[int],
              n: int) -> FrWords:
    """Coefficients ``h_0 .. h_{n-2}`` of ``(a b - c) / Z``, computed on a coset, packed.

    ``rows`` are the constraint rows' values (packed, as
    :meth:`R1CS.evaluate` returns them, or ints); the public-input rows
    ``w_i * 0 = 0`` and the zero padding up to n are appended here. The
    vectors stay packed (32 bytes per element) and each is freed once used.
    """
    publics = FrWords.from_ints(list(witness[: r1cs.n_public + 1]))
    pad = n - r1cs.n_constraints
    a = FrWords(_words(rows[0]).buf + publics.buf + bytes(32 * (pad - len(publics))))
    b = FrWords(_words(rows[1]).buf + bytes(32 * pad))
    c = FrWords(_words(rows[2]).buf + bytes(32 * pad))
    omega = kernels.root_of_unity(n)
    ea = kernels.fft_words(kernels.fft_words(a, omega, 1, True), omega, COSET_SHIFT)
    del a
    eb = kernels.fft_words(kernels.fft_words(b, omega, 1, True), omega, COSET_SHIFT)
    del b
    ec = kernels.fft_words(kernels.fft_words(c, omega, 1, True), omega, COSET_SHIFT)
    del c
    z_inv = pow((pow(COSET_SHIFT, n, R) - 1) % R, -1, R)
    h_evals = kernels.fr_mul_sub(ea, eb, ec, z_inv)
    del ea, eb, ec
    h = kernels.fft_words(h_evals, omega, COSET_SHIFT, True)  # coefficients, unshifted
    if h[n - 1]:
        raise ArithmeticError("a*b - c is not divisible by Z: the witness does not satisfy the QAP")
    return h[: n - 1]


def random_scalar(rng: random.Random | None) -> int:
    """A blinding scalar in [1, R): from ``rng`` when given (reproducible tests), else from ``secrets``."""
    return rng.randrange(1, R) if rng is not None else 1 + secrets.randbelow(R - 1)


def _words(values: Vector[int]) -> FrWords:
    return values if isinstance(values, FrWords) else FrWords.from_ints(list(values))


def blinded_proof(
    alpha_g1: G1Point,
    beta_g1: G1Point,
    beta_g2: G2Point,
    delta_g1: G1Point,
    delta_g2: G2Point,
    queries: tuple[Vector[G1Point], Vector[G1Point], Vector[G2Point]],
    witness: Vector[int],
    c_terms: Sequence[tuple[Vector[G1Point], Vector[int]]],
    rng: random.Random | None = None,
) -> Proof:
    """Step 4: the three MSMs of a proof, blinded with random ``r, s`` (drawn in that order).

    ``queries`` are the A, B (G1) and B (G2) points of every wire;
    ``c_terms`` pairs of points and scalars whose sums make C before
    blinding (the private wires' L points, the H terms). Points may be
    packed (``G1Points``/``G2Points``) and scalars ``FrWords``: they go to
    the kernels without a copy. Shared by :func:`prove` and the prover for
    snarkjs' proving keys (``zkey.prove_zkey``).
    """
    a_query, b_g1_query, b_g2_query = queries
    r, s = random_scalar(rng), random_scalar(rng)
    w = _words(witness)
    a = kernels.msm_g1([alpha_g1, kernels.msm_g1(a_query, w), delta_g1], [1, 1, r])
    b2 = kernels.msm_g2([beta_g2, kernels.msm_g2(b_g2_query, w), delta_g2], [1, 1, s])
    b1 = kernels.msm_g1([beta_g1, kernels.msm_g1(b_g1_query, w), delta_g1], [1, 1, s])
    parts = [kernels.msm_g1(points, _words(scalars)) for points, scalars in c_terms]
    c = kernels.msm_g1([*parts, a, b1, delta_g1], [*([1] * len(parts)), s, r, (-r * s) % R])
    return Proof(a, b2, c)


def prove(pk: ProvingKey, r1cs: R1CS, witness: Sequence[int], rng: random.Random | None = None) -> Proof:
    """A proof that ``witness`` satisfies ``r1cs``; ``rng`` only for reproducible tests."""
    if pk.n_wires != r1cs.n_wires or pk.n_public != r1cs.n_public:
        raise ValueError(
            f"proving key is for {pk.n_wires} wires / {pk.n_public} public, "
            f"circuit has {r1cs.n_wires} / {r1cs.n_public}"
        )
    rows = r1cs.check(witness)
    h = compute_h(r1cs, rows, witness, pk.domain_size)
    del rows
    words = _words(witness)
    private = words[pk.n_public + 1 :]
    return blinded_proof(
        pk.alpha_g1, pk.beta_g1, pk.beta_g2, pk.delta_g1, pk.delta_g2,
        (pk.a_query, pk.b_g1_query, pk.b_g2_query), words, ((pk.l_query, private), (pk.h_query, h)), rng,
    )
