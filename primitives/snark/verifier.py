"""The Groth16 verifier: one product of pairings with a single final exponentiation.

A proof (A, B, C) for public inputs ``x`` is valid when

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),
    vk_x = IC_0 + sum x_i IC_i.

``verify`` rearranges it as ``FE(ML(B, -A) * ML(gamma, vk_x) * ML(delta, C))
* e(alpha, beta) == 1``: three Miller loops sharing their squarings, one final
exponentiation, and ``e(alpha, beta)`` cached on the key.

The pairing is py_ecc's optimal ate pairing, computed the same way in the
same representation of Fq12 (polynomials in ``w`` modulo
``w^12 - 18 w^6 + 82``) so results are identical, but faster: the G2 points
stay in Fq2 instead of being lifted into Fq12, each line is a sparse Fq12
element (five nonzero coefficients), the three loops share one squaring per
step, and the final exponentiation splits ``(p^12 - 1)/r`` into
``(p^6 - 1)(p^2 + 1)``, done with a conjugation and a Frobenius map, and a
762-bit remainder. Tests compare it with py_ecc's ``pairing``.

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
from py_ecc.optimized_bn128.optimized_pairing import pseudo_binary_encoding

from primitives.snark import kernels
from primitives.snark.kernels import (
    G1_INFINITY,
    G2_INFINITY,
    G1Point,
    G2Point,
    Q,
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


# ---------------------------------------------------------------- the pairing product

Fq2 = tuple[int, int]
Fq12 = list[int]  # 12 coefficients of 1, w, ..., w^11


def _f2_mul(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def _f2_sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def _f2_inv(a: Fq2) -> Fq2:
    n = pow(a[0] * a[0] + a[1] * a[1], -1, Q)
    return (a[0] * n % Q, -a[1] * n % Q)


def _f2_pow(a: Fq2, e: int) -> Fq2:
    out: Fq2 = (1, 0)
    for bit in bin(e)[2:]:
        out = _f2_mul(out, out)
        if bit == "1":
            out = _f2_mul(out, a)
    return out


_XI: Fq2 = (9, 1)  # w^6 = 9 + u
# Frobenius on the twist: (x, y) -> (conj(x) xi^((p-1)/3), conj(y) xi^((p-1)/2)), and its square.
_FROB1 = (_f2_pow(_XI, (Q - 1) // 3), _f2_pow(_XI, (Q - 1) // 2))
_FROB2 = (_f2_pow(_XI, (Q * Q - 1) // 3), _f2_pow(_XI, (Q * Q - 1) // 2))
# w^(p^2) = w * c with c = xi^((p^2-1)/6) in Fp: the p^2-power map scales coefficient k by c^k.
_C2 = _f2_pow(_XI, (Q * Q - 1) // 6)[0]
_FROB2_W = [pow(_C2, k, Q) for k in range(12)]
_HARD_EXPONENT = (Q**4 - Q**2 + 1) // R


def _reduce(b: list[int]) -> Fq12:
    """A product of degree <= 22 reduced with w^12 = 18 w^6 - 82."""
    for i in range(len(b) - 1, 11, -1):
        t = b[i]
        if t:
            b[i - 6] += 18 * t
            b[i - 12] -= 82 * t
    return [x % Q for x in b[:12]]


def _f12_mul(a: Fq12, b: Fq12) -> Fq12:
    out = [0] * 23
    for i, ai in enumerate(a):
        if ai:
            for j, bj in enumerate(b):
                out[i + j] += ai * bj
    return _reduce(out)


def _f12_sqr(a: Fq12) -> Fq12:
    out = [0] * 23
    for i, ai in enumerate(a):
        if ai:
            out[2 * i] += ai * ai
            ai2 = 2 * ai
            for j in range(i + 1, 12):
                out[i + j] += ai2 * a[j]
    return _reduce(out)


def _f12_mul_sparse(f: Fq12, line: list[tuple[int, int]]) -> Fq12:
    out = [0] * 23
    for k, c in line:
        for i, fi in enumerate(f):
            out[i + k] += c * fi
    return _reduce(out)


def _line(lam: Fq2, x1: Fq2, y1: Fq2, xp: int, yp: int) -> list[tuple[int, int]]:
    """The line of slope lam through (x1, y1) on the twist, at P, as sparse Fq12 terms.

    On the twisted points (x w^2, y w^3) the slope is lam * w, so the line's
    value ``lam w (xP - x1 w^2) - (yP - y1 w^3)`` has terms in w, w^3 (and
    w^7, w^9 from the embedding ``a + b u = (a - 9b) + b w^6``) and a constant.
    """
    c = _f2_sub(_f2_mul(lam, x1), y1)
    return [
        (0, -yp % Q),
        (1, (lam[0] - 9 * lam[1]) * xp % Q),
        (7, lam[1] * xp % Q),
        (3, -(c[0] - 9 * c[1]) % Q),
        (9, -c[1] % Q),
    ]


def _step(r: tuple[Fq2, Fq2], q: tuple[Fq2, Fq2] | None, p: tuple[int, int]) -> tuple[list, tuple[Fq2, Fq2]]:
    """The line through r and q (the tangent when q is None) at p, and the point r + q."""
    (x1, y1) = r
    if q is None:
        lam = _f2_mul(_f2_mul((3, 0), _f2_mul(x1, x1)), _f2_inv(_f2_mul((2, 0), y1)))
        x2 = x1
    else:
        x2, y2 = q
        lam = _f2_mul(_f2_sub(y2, y1), _f2_inv(_f2_sub(x2, x1)))
    x3 = _f2_sub(_f2_sub(_f2_mul(lam, lam), x1), x2)
    y3 = _f2_sub(_f2_mul(lam, _f2_sub(x1, x3)), y1)
    return _line(lam, x1, y1, p[0], p[1]), (x3, y3)


def miller_loop_product(pairs: list[tuple[G1Point, G2Point]]) -> Fq12:
    """The product of the Miller loops of every (P, Q) pair, before the final exponentiation."""
    pairs = [(p, q) for p, q in pairs if p != G1_INFINITY and q != G2_INFINITY]
    rs = [q for _, q in pairs]
    f: Fq12 = [1] + [0] * 11
    for v in pseudo_binary_encoding[63::-1]:
        f = _f12_sqr(f)
        for i, (p, q) in enumerate(pairs):
            line, rs[i] = _step(rs[i], None, p)
            f = _f12_mul_sparse(f, line)
            if v:
                step_q = q if v == 1 else (q[0], ((-q[1][0]) % Q, (-q[1][1]) % Q))
                line, rs[i] = _step(rs[i], step_q, p)
                f = _f12_mul_sparse(f, line)
    for i, (p, (x, y)) in enumerate(pairs):
        q1 = (_f2_mul((x[0], -x[1] % Q), _FROB1[0]), _f2_mul((y[0], -y[1] % Q), _FROB1[1]))
        nq2 = (_f2_mul(x, _FROB2[0]), _f2_sub((0, 0), _f2_mul(y, _FROB2[1])))
        line, r = _step(rs[i], q1, p)
        f = _f12_mul_sparse(f, line)
        line, _ = _step(r, nq2, p)
        f = _f12_mul_sparse(f, line)
    return f


def final_exponentiation(f: Fq12) -> Fq12:
    """``f^((p^12 - 1)/r)`` as ``((f^(p^6 - 1))^(p^2 + 1))^((p^4 - p^2 + 1)/r)``."""
    conj = [c if k % 2 == 0 else -c % Q for k, c in enumerate(f)]  # f^(p^6): w -> -w
    inv = [int(c) for c in bn.FQ12(f).inv().coeffs]
    g = _f12_mul(conj, inv)
    g = _f12_mul([c * s % Q for c, s in zip(g, _FROB2_W, strict=True)], g)
    out: Fq12 = [1] + [0] * 11
    for bit in bin(_HARD_EXPONENT)[2:]:
        out = _f12_sqr(out)
        if bit == "1":
            out = _f12_mul(out, g)
    return out


def pairing_product(pairs: list[tuple[G1Point, G2Point]]) -> bn.FQ12:
    """``prod e(P_i, Q_i)`` with one final exponentiation; equals the product of py_ecc pairings."""
    return bn.FQ12(final_exponentiation(miller_loop_product(pairs)))


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
    neg_a = (a[0], (Q - a[1]) % Q)
    product = pairing_product([(neg_a, b), (vk_x, vk.gamma_g2), (c, vk.delta_g2)])
    return product * vk.alpha_beta == bn.FQ12.one()
