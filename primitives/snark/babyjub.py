"""BabyJubJub (EIP-2494): the twisted Edwards curve a x^2 + y^2 = 1 + d x^2 y^2 over BN254's F_r.

Points are affine ``(x, y)`` int tuples; the identity is ``(0, 1)``, so no
special "point at infinity" value exists. ``mul`` works in extended coordinates
(X : Y : Z : T, x = X/Z, y = Y/Z, xy = T/Z) to pay a single inversion per call;
the addition law is complete because ``a`` is a square and ``d`` is not, so no
case needs a branch. Constants and the packing format follow circomlib.
"""

from __future__ import annotations

from primitives.snark.field import R, inv, sqrt

Point = tuple[int, int]

P = R  # the base field of BabyJubJub is the SNARK field
A = 168700
D = 168696
# Curve order 8 * l, with l the prime order of the subgroup signatures live in (EIP-2494).
ORDER = 21888242871839275222246405745257275088614511777268538073601725287587578984328
SUBORDER = ORDER >> 3
COFACTOR = 8
IDENTITY: Point = (0, 1)
# EIP-2494's generator of the whole group, and B8 = 8 * G which generates the order-l subgroup.
GENERATOR: Point = (
    995203441582195749578291179787384436505546430278305826713579947235728471134,
    5472060717959818805561601436314318772137091100104008585924551046643952123905,
)
BASE8: Point = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)
_HALF = (P - 1) // 2  # x above this has the "negative" sign bit in a packed point


def is_on_curve(p: object) -> bool:
    """True for a pair of reduced field elements satisfying the curve equation."""
    if not isinstance(p, tuple | list) or len(p) != 2:
        return False
    x, y = p
    if not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < P for c in (x, y)):
        return False
    x2, y2 = x * x % P, y * y % P
    return (A * x2 + y2) % P == (1 + D * x2 * y2) % P


def check_point(p: object, what: str = "point") -> Point:
    """Return ``p`` as a tuple if it is on the curve; otherwise raise ValueError naming it."""
    if not is_on_curve(p):
        raise ValueError(f"{what} is not a BabyJubJub point: {p!r}")
    return (p[0], p[1])  # type: ignore[index]


def add(p: Point, q: Point) -> Point:
    """The complete twisted Edwards addition law in affine coordinates."""
    x1, y1 = p
    x2, y2 = q
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + y1 * x2) * inv(1 + t) % P
    y3 = (y1 * y2 - A * x1 * x2) * inv(1 - t) % P
    return (x3, y3)


def neg(p: Point) -> Point:
    """-(x, y) = (-x, y) on a twisted Edwards curve."""
    return ((-p[0]) % P, p[1])


def double(p: Point) -> Point:
    """2p; the addition law is unified, so doubling is adding a point to itself."""
    return add(p, p)


# Extended coordinates (Hisil-Wong-Carter-Dawson 2008), for the scalar-multiplication loop.
_Ext = tuple[int, int, int, int]


def _ext_add(p: _Ext, q: _Ext) -> _Ext:
    """add-2008-hwcd: unified, complete addition with 9 multiplications."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = x1 * x2 % P
    b = y1 * y2 % P
    c = D * t1 % P * t2 % P
    d = z1 * z2 % P
    e = ((x1 + y1) * (x2 + y2) - a - b) % P
    f = d - c
    g = d + c
    h = b - A * a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _ext_double(p: _Ext) -> _Ext:
    """dbl-2008-hwcd: doubling without T1, 4 squarings and 4 multiplications."""
    x1, y1, z1, _ = p
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    da = A * a % P
    e = ((x1 + y1) * (x1 + y1) - a - b) % P
    g = da + b
    f = g - c
    h = da - b
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(p: Point, k: int) -> Point:
    """k * p by left-to-right double-and-add; k is taken modulo the curve order (negatives too)."""
    k %= ORDER
    acc: _Ext = (0, 1, 1, 0)
    base: _Ext = (p[0], p[1], 1, p[0] * p[1] % P)
    for bit in bin(k)[2:] if k else "":
        acc = _ext_double(acc)
        if bit == "1":
            acc = _ext_add(acc, base)
    x, y, z, _ = acc
    zi = inv(z)
    return (x * zi % P, y * zi % P)


def in_subgroup(p: object) -> bool:
    """True for a curve point of the prime-order subgroup (l * p is the identity)."""
    return is_on_curve(p) and mul((p[0], p[1]), SUBORDER) == IDENTITY  # type: ignore[index]


def pack_point(p: Point) -> bytes:
    """circomlib's 32-byte packing: y little-endian, top bit set when x > (P - 1) / 2."""
    x, y = check_point(p)
    buf = bytearray(y.to_bytes(32, "little"))
    if x > _HALF:
        buf[31] |= 0x80
    return bytes(buf)


def unpack_point(data: bytes) -> Point:
    """Inverse of ``pack_point``; raises ValueError for a non-canonical or off-curve encoding.

    Stricter than circomlibjs, which accepts y = P and a sign bit on x = 0: here
    every point has exactly one accepted encoding.
    """
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) != 32:
        raise ValueError("a packed BabyJubJub point is exactly 32 bytes")
    buf = bytearray(data)
    negative = bool(buf[31] & 0x80)
    buf[31] &= 0x7F
    y = int.from_bytes(buf, "little")
    if y >= P:
        raise ValueError("packed point's y is not below the field modulus")
    y2 = y * y % P
    denom = (A - D * y2) % P
    if denom == 0:
        raise ValueError("packed point's y has no x on the curve")
    x = sqrt((1 - y2) * inv(denom) % P)
    if x is None:
        raise ValueError("packed point's y has no x on the curve")
    if negative:
        if x == 0:
            raise ValueError("packed point sets the sign bit for x = 0")
        x = P - x
    return (x, y)


__all__ = [
    "A", "BASE8", "COFACTOR", "D", "GENERATOR", "IDENTITY", "ORDER", "P", "Point", "SUBORDER",
    "add", "check_point", "double", "in_subgroup", "is_on_curve", "mul", "neg",
    "pack_point", "unpack_point",
]
