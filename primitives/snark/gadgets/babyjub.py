"""BabyJubJub points in a circuit: on-curve test, addition, doubling, scalar multiplication.

The curve is twisted Edwards ``a x^2 + y^2 = 1 + d x^2 y^2`` over the circuit
field itself, so a point is two signals. Its addition law is complete (``a``
is a square, ``d`` is not), so the same formulas serve every pair of points,
the identity ``(0, 1)`` included, and no case needs a branch. Quotients come
from hints and are pinned by one multiplication each.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def mul_any(c: Circuit, bits: Sequence[LC], p: Point) -> Point:
    """``k * p`` for a point held in signals, ``k`` given by little-endian bits.

    Two-bit windows from the top: a table of 0, p, 2p, 3p (one doubling, one
    addition), then per window two doublings, a four-way selection (six
    constraints) and one addition.
    """
    with c.scope("mul_any"):
        p2 = double(c, p, "table.p2")
        p3 = add(c, p2, p, "table.p3")
        identity = const_point(c, ref.IDENTITY)
        table = [identity, p, p2, p3]
        windows = [bits[i : i + 2] for i in range(0, len(bits), 2)]
        acc: Point | None = None
        for w in reversed(range(len(windows))):
            chunk = [*windows[w], *([as_lc(0, c)] * (2 - len(windows[w])))]
            with c.scope(f"window{w}"):
                if acc is not None:
                    acc = double(c, double(c, acc, "dbl1"), "dbl2")
                lo = select_point(c, chunk[0], table[1], table[0], "lo")
                hi = select_point(c, chunk[0], table[3], table[2], "hi")
                point = select_point(c, chunk[1], hi, lo, "pick")
                acc = point if acc is None else add(c, acc, point)
    assert acc is not None
    return acc
