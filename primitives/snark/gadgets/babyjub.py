"""BabyJubJub points in a circuit: on-curve test, addition, doubling, scalar multiplication.

The curve is twisted Edwards ``a x^2 + y^2 = 1 + d x^2 y^2`` over the circuit
field itself, so a point is two signals. Its addition law is complete (``a``
is a square, ``d`` is not), so the same formulas serve every pair of points,
the identity ``(0, 1)`` included, and no case needs a branch. Quotients come
from hints and are pinned by one multiplication each. Variable-base
multiplication alone works in the curve's Montgomery form, whose cheaper but
incomplete formulas are safe there for the reason ``_segment`` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from primitives.snark import babyjub as ref
from primitives.snark.gadgets.bits import select
from primitives.snark.r1cs import LC, Circuit, R, as_lc

A, D = ref.A, ref.D
Point = tuple[LC, LC]


def _div(c: Circuit, num: LC, den: LC, name: str) -> LC:
    """``num / den`` as a signal with ``out * den == num``; unsatisfiable when den = 0 and num != 0."""
    out = c.hint(lambda n, d: n * pow(d, -1, R) % R if d else 0, num, den)
    c.constrain(out, den, num, name)
    return out


def const_point(c: Circuit, p: tuple[int, int]) -> Point:
    return (as_lc(p[0], c), as_lc(p[1], c))


def assert_on_curve(c: Circuit, p: Point, name: str = "on_curve") -> None:
    """``a x^2 + y^2 == 1 + d x^2 y^2``: three constraints."""
    x, y = p
    xx = c.mul(x, x, f"{name}.xx")
    yy = c.mul(y, y, f"{name}.yy")
    c.constrain(xx.scale(D), yy, xx.scale(A) + yy - 1, name)


def add(c: Circuit, p: Point, q: Point, name: str = "add") -> Point:
    """``p + q`` with the complete Edwards formulas: six constraints (fewer with constants).

    x3 = (x1 y2 + y1 x2) / (1 + d t), y3 = (y1 y2 - a x1 x2) / (1 - d t), t = x1 x2 y1 y2.
    """
    (x1, y1), (x2, y2) = p, q
    beta = c.mul(x1, y2, f"{name}.beta")
    gamma = c.mul(y1, x2, f"{name}.gamma")
    delta = c.mul(y1 - x1.scale(A), x2 + y2, f"{name}.delta")  # = y1y2 - a x1x2 - a beta + gamma
    tau = c.mul(beta, gamma, f"{name}.tau")
    x3 = _div(c, beta + gamma, 1 + tau.scale(D), f"{name}.x")
    y3 = _div(c, delta + beta.scale(A) - gamma, 1 - tau.scale(D), f"{name}.y")
    return (x3, y3)


def double(c: Circuit, p: Point, name: str = "double") -> Point:
    """``2p`` with the dedicated doubling formulas: five constraints.

    x3 = 2xy / (a x^2 + y^2), y3 = (y^2 - a x^2) / (2 - a x^2 - y^2); valid for
    points on the curve, which the callers ensure.
    """
    x, y = p
    xy = c.mul(x, y, f"{name}.xy")
    xx = c.mul(x, x, f"{name}.xx")
    yy = c.mul(y, y, f"{name}.yy")
    ax2_y2 = xx.scale(A) + yy
    x3 = _div(c, xy.scale(2), ax2_y2, f"{name}.x")
    y3 = _div(c, yy - xx.scale(A), 2 - ax2_y2, f"{name}.y")
    return (x3, y3)


def select_point(c: Circuit, bit: LC, when_true: Point, when_false: Point, name: str) -> Point:
    return (
        select(c, bit, when_true[0], when_false[0], f"{name}.x"),
        select(c, bit, when_true[1], when_false[1], f"{name}.y"),
    )


def mul_fixed(c: Circuit, bits: Sequence[LC], base: tuple[int, int]) -> Point:
    """``k * base`` for a constant point, ``k`` given by little-endian bits.

    Three-bit windows: window ``w`` picks ``j * 8^w * base`` (j = 0..7) from a
    table of constants, which costs one product of two bits and one
    constraint per coordinate; then one addition per window.
    """
    with c.scope("mul_fixed"):
        acc: Point | None = None
        window_base = base
        for w in range(0, len(bits), 3):
            chunk = [*bits[w : w + 3], *([as_lc(0, c)] * max(0, w + 3 - len(bits)))]
            table = [ref.mul(window_base, j) for j in range(8)]
            with c.scope(f"window{w // 3}"):
                point = _lookup8(c, chunk, table)
                acc = point if acc is None else add(c, acc, point)
            window_base = ref.mul(window_base, 8)
    assert acc is not None
    return acc


def _lookup8(c: Circuit, bits: Sequence[LC], table: Sequence[tuple[int, int]]) -> Point:
    """``table[b0 + 2 b1 + 4 b2]`` for constant points: linear in the bits and ``b0 b1``."""
    b0, b1, b2 = bits
    b01 = c.mul(b0, b1, "b0b1")
    out = []
    for coord in range(2):
        t = [p[coord] for p in table]

        def half(k: int, t: list[int] = t) -> LC:
            return t[k] + b0.scale(t[k + 1] - t[k]) + b1.scale(t[k + 2] - t[k]) + b01.scale(t[k + 3] - t[k + 2] - t[k + 1] + t[k])

        lo, hi = half(0), half(4)
        out.append(lo + c.mul(b2, hi - lo, f"select{'xy'[coord]}"))
    return (out[0], out[1])


# ---------------------------------------------------------------- variable base, Montgomery form

MONT_A = 168698  # BabyJubJub as v^2 = u^3 + A u^2 + u: A = 2(a + d)/(a - d), B = 4/(a - d) = 1
SEGMENT_BITS = 250  # 2^250 < l < 2^251: within a segment no addition meets its exceptional case


def to_montgomery(c: Circuit, p: Point) -> Point:
    """``(u, v) = ((1 + y)/(1 - y), u/x)``; needs ``x != 0``, true off the two points of order <= 2."""
    x, y = p
    u = _div(c, 1 + y, 1 - y, "to_mont.u")
    return (u, _div(c, u, x, "to_mont.v"))


def from_montgomery(c: Circuit, m: Point) -> Point:
    """``(x, y) = (u/v, (u - 1)/(u + 1))``."""
    u, v = m
    return (_div(c, u, v, "from_mont.x"), _div(c, u - 1, u + 1, "from_mont.y"))


def _fresh(c: Circuit, fn: Callable[..., int], *args: LC) -> LC:
    """A new signal for a value the caller then constrains (keeps combinations short)."""
    return c.hint(lambda *v: fn(*v) % R, *args)


def _mont_add(c: Circuit, p: Point, q: Point, name: str) -> Point:
    """``p + q`` for ``p != +-q``: three constraints. Only for inputs where that is guaranteed."""
    (u1, v1), (u2, v2) = p, q
    lam = _div(c, v2 - v1, u2 - u1, f"{name}.lambda")
    u3 = _fresh(c, lambda m, a, b: m * m - MONT_A - a - b, lam, u1, u2)
    c.constrain(lam, lam, u3 + MONT_A + u1 + u2, f"{name}.u")
    v3 = _fresh(c, lambda m, a, b, w: m * (a - b) - w, lam, u1, u3, v1)
    c.constrain(lam, u1 - u3, v3 + v1, f"{name}.v")
    return (u3, v3)


def _mont_double(c: Circuit, p: Point, name: str) -> Point:
    """``2p`` for p of odd order: four constraints."""
    u, v = p
    uu = c.mul(u, u, f"{name}.uu")
    lam = _div(c, uu.scale(3) + u.scale(2 * MONT_A) + 1, v.scale(2), f"{name}.lambda")
    u3 = _fresh(c, lambda m, a: m * m - MONT_A - 2 * a, lam, u)
    c.constrain(lam, lam, u3 + MONT_A + u.scale(2), f"{name}.u")
    v3 = _fresh(c, lambda m, a, b, w: m * (a - b) - w, lam, u, u3, v)
    c.constrain(lam, u - u3, v3 + v, f"{name}.v")
    return (u3, v3)


def _select_fresh(c: Circuit, bit: LC, when_true: LC, when_false: LC, name: str) -> LC:
    out = _fresh(c, lambda b, t, f: f + b * (t - f), bit, when_true, when_false)
    c.constrain(bit, when_true - when_false, out - when_false, name)
    return out


def _segment(c: Circuit, bits: Sequence[LC], base: Point) -> tuple[Point, Point]:
    """``(1 + sum_{i>=1} bits[i] 2^i) * base`` right to left, and the last ``2^i * base``.

    The accumulator starts at ``base`` (the "1") so it is never the identity,
    which Montgomery form cannot hold. At step i it is ``v * base`` with
    ``1 <= v < 2^i`` and meets ``t = 2^i * base``; ``v = +-2^i`` modulo l would
    need ``v + 2^i`` or ``2^i - v`` to be a multiple of l, impossible while
    ``2^(i+1) <= 2^250 < l``. So no addition is exceptional, and every step has
    exactly one solution: the prover has no freedom.
    """
    acc = t = base
    for i in range(1, len(bits)):
        with c.scope(f"bit{i}"):
            t = _mont_double(c, t, "double")
            cand = _mont_add(c, acc, t, "add")
            acc = (_select_fresh(c, bits[i], cand[0], acc[0], "select.u"),
                   _select_fresh(c, bits[i], cand[1], acc[1], "select.v"))
    return acc, t


def mul_any(c: Circuit, bits: Sequence[LC], p: Point) -> Point:
    """``k * p`` for a point of the prime-order subgroup other than the identity, ``k`` in LE bits.

    Montgomery form makes an addition cost three constraints and a doubling
    four (Edwards: six and five), about nine per bit with the selection, at
    the price of exceptional cases that ``_segment`` shows never occur in
    segments of up to 250 bits. Each segment's result comes back to Edwards
    form, where the complete formulas subtract the segment's implicit
    ``(1 - bits[0]) * base`` and add the segments together.
    """
    with c.scope("mul_any"):
        base_m = to_montgomery(c, p)
        base_e = p
        last = base_m
        result: Point | None = None
        for s, start in enumerate(range(0, len(bits), SEGMENT_BITS)):
            seg = bits[start : start + SEGMENT_BITS]
            with c.scope(f"segment{s}"):
                if s:
                    base_m = _mont_double(c, last, "next_base")  # 2^(start) * p
                    base_e = from_montgomery(c, base_m)
                acc_m, last = _segment(c, seg, base_m)
                acc = from_montgomery(c, acc_m)
                # Subtract base unless bit 0 is set: add (1 - b0) * (-base), the identity otherwise.
                not_b0 = 1 - seg[0]
                fix = (c.mul(not_b0, -base_e[0], "fix.x"), 1 + c.mul(not_b0, base_e[1] - 1, "fix.y"))
                acc = add(c, acc, fix, "fix.add")
                result = acc if result is None else add(c, result, acc, "combine")
    assert result is not None
    return result
