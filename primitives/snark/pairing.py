"""The BN254 optimal ate pairing as one product of Miller loops and a single final exponentiation.

``pairing_product([(P_1, Q_1), ...])`` is ``prod e(P_i, Q_i)``: py_ecc's
optimal ate pairing, computed the same way in the same representation of
Fq12 (polynomials in ``w`` modulo ``w^12 - 18 w^6 + 82``) so results are
identical, but faster: the G2 points stay in Fq2 instead of being lifted into
Fq12, each line is a sparse Fq12 element (five nonzero coefficients), the
loops of all pairs share one squaring per step, and the final exponentiation
splits ``(p^12 - 1)/r`` into ``(p^6 - 1)(p^2 + 1)``, done with a conjugation
and a Frobenius map, and a 762-bit remainder. Tests compare it with py_ecc's
``pairing``.

Points are taken as given: callers check them first (``groth16_types``'
``check_g1_point`` / ``check_g2_point``).
"""

from __future__ import annotations

from py_ecc import optimized_bn128 as bn
from py_ecc.optimized_bn128.optimized_pairing import pseudo_binary_encoding

from primitives.snark.kernels import G1_INFINITY, G2_INFINITY, G1Point, G2Point, Q, R

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


__all__ = ["final_exponentiation", "miller_loop_product", "pairing_product"]
