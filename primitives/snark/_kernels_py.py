"""BN254 prover kernels in pure Python: MSM, fixed-base multiplication, FFT over Fr.

The twin of ``_kernels_c``: same names, same results, plain ints. Points are
affine tuples with ``(0, 0)`` (G1) and ``((0, 0), (0, 0))`` (G2) standing for
the point at infinity, as in EIP-196/197; inside the loops they are Jacobian
``(X, Y, Z)`` with ``Z == 0`` for infinity, so no special value leaks out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, ClassVar, Generic, Literal, Protocol, Self, TypeAlias, TypeVar, overload

from primitives.snark.field import Q, R

G1Point = tuple[int, int]
Fq2 = tuple[int, int]
G2Point = tuple[Fq2, Fq2]
# Jacobian (X, Y, Z) points, used only inside the loops.
G1Jacobian: TypeAlias = tuple[int, int, int]
G2Jacobian: TypeAlias = tuple[Fq2, Fq2, Fq2]

G1_INFINITY: G1Point = (0, 0)
G2_INFINITY: G2Point = ((0, 0), (0, 0))

# The generators EIP-196/197 and py_ecc use.
G1_GENERATOR: G1Point = (1, 2)
G2_GENERATOR: G2Point = (
    (10857046999023057135944570762232829481370756359578518086990519993285655852781,
     11559732032986387107991004021392285783925812861821192530917403151452391805634),
    (8495653923123431417604973247489272438418190587263600148770280649306958101930,
     4082367875863433681332203403145435568316851327593401208105741076214120093531),
)

# Fr has 2-adicity 28; 5 generates Fr* (a quadratic non-residue, snarkjs's
# choice), so 5^((R-1)/2^28) is a primitive 2^28-th root of unity.
TWO_ADICITY = 28
GENERATOR = 5

# G1: y^2 = x^3 + 3 over Fq.  G2: y^2 = x^3 + 3/(9+i) over Fq2 = Fq[i]/(i^2+1).
B1 = 3


def _fq2_mul(a: Fq2, b: Fq2) -> Fq2:
    """(a0 + a1 i)(b0 + b1 i) with i^2 = -1, by Karatsuba."""
    t0 = a[0] * b[0]
    t1 = a[1] * b[1]
    return ((t0 - t1) % Q, ((a[0] + a[1]) * (b[0] + b[1]) - t0 - t1) % Q)


def _fq2_sqr(a: Fq2) -> Fq2:
    """(a0 + a1 i)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 i."""
    return ((a[0] + a[1]) * (a[0] - a[1]) % Q, 2 * a[0] * a[1] % Q)


def _fq2_add(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] + b[0]) % Q, (a[1] + b[1]) % Q)


def _fq2_sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def _fq2_scale(a: Fq2, k: int) -> Fq2:
    return (a[0] * k % Q, a[1] * k % Q)


def _fq2_inv(a: Fq2) -> Fq2:
    """1/(a0 + a1 i) = (a0 - a1 i) / (a0^2 + a1^2)."""
    d = pow((a[0] * a[0] + a[1] * a[1]) % Q, -1, Q)
    return (a[0] * d % Q, -a[1] * d % Q)


B2: Fq2 = _fq2_mul((3, 0), _fq2_inv((9, 1)))


F = TypeVar("F")  # a coordinate: int on G1, Fq2 on G2
T_co = TypeVar("T_co", covariant=True)


class Vector(Protocol[T_co]):
    """A vector the kernels read: a list or tuple, or packed (``G1Points``, ``G2Points``, ``FrWords``).

    Only length, indexing by position and iteration are required, which both
    the builtin sequences and the packed containers below provide.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, i: int, /) -> T_co: ...

    def __iter__(self) -> Iterator[T_co]: ...


class _Curve(Protocol[F]):
    """The Jacobian arithmetic the MSM and fixed-base loops share; _G1 and _G2 provide it."""

    @property
    def zero(self) -> tuple[F, F, F]: ...

    def double(self, p: tuple[F, F, F], /) -> tuple[F, F, F]: ...

    def add_mixed(self, p: tuple[F, F, F], x2: F, y2: F, /) -> tuple[F, F, F]: ...

    def add(self, p: tuple[F, F, F], q: tuple[F, F, F], /) -> tuple[F, F, F]: ...

    def to_affine(self, p: tuple[F, F, F], /) -> tuple[F, F]: ...


class _G1:
    """Jacobian arithmetic on G1 over plain ints (a = 0 short Weierstrass)."""

    zero: ClassVar[G1Jacobian] = (1, 1, 0)

    @staticmethod
    def double(p: G1Jacobian) -> G1Jacobian:
        x, y, z = p
        if z == 0 or y == 0:
            return (1, 1, 0)
        a = x * x % Q
        b = y * y % Q
        c = b * b % Q
        d = 2 * ((x + b) ** 2 - a - c) % Q
        e = 3 * a
        f = e * e % Q
        x3 = (f - 2 * d) % Q
        return (x3, (e * (d - x3) - 8 * c) % Q, 2 * y * z % Q)

    @staticmethod
    def add_mixed(p: G1Jacobian, x2: int, y2: int) -> G1Jacobian:
        """p + (x2, y2) with the second point affine and finite."""
        x1, y1, z1 = p
        if z1 == 0:
            return (x2, y2, 1)
        zz = z1 * z1 % Q
        u2 = x2 * zz % Q
        s2 = y2 * zz * z1 % Q
        h = (u2 - x1) % Q
        r = (s2 - y1) % Q
        if h == 0:
            return _G1.double(p) if r == 0 else (1, 1, 0)
        hh = h * h % Q
        hhh = h * hh % Q
        v = x1 * hh % Q
        x3 = (r * r - hhh - 2 * v) % Q
        return (x3, (r * (v - x3) - y1 * hhh) % Q, z1 * h % Q)

    @staticmethod
    def add(p: G1Jacobian, q: G1Jacobian) -> G1Jacobian:
        x1, y1, z1 = p
        x2, y2, z2 = q
        if z1 == 0:
            return q
        if z2 == 0:
            return p
        z1z1 = z1 * z1 % Q
        z2z2 = z2 * z2 % Q
        u1 = x1 * z2z2 % Q
        u2 = x2 * z1z1 % Q
        s1 = y1 * z2 * z2z2 % Q
        s2 = y2 * z1 * z1z1 % Q
        h = (u2 - u1) % Q
        r = (s2 - s1) % Q
        if h == 0:
            return _G1.double(p) if r == 0 else (1, 1, 0)
        hh = h * h % Q
        hhh = h * hh % Q
        v = u1 * hh % Q
        x3 = (r * r - hhh - 2 * v) % Q
        return (x3, (r * (v - x3) - s1 * hhh) % Q, z1 * z2 * h % Q)

    @staticmethod
    def to_affine(p: G1Jacobian) -> G1Point:
        x, y, z = p
        if z == 0:
            return G1_INFINITY
        zi = pow(z, -1, Q)
        zi2 = zi * zi % Q
        return (x * zi2 % Q, y * zi2 * zi % Q)


class _G2:
    """Jacobian arithmetic on the G2 twist over Fq2 tuples."""

    zero: ClassVar[G2Jacobian] = ((1, 0), (1, 0), (0, 0))

    @staticmethod
    def double(p: G2Jacobian) -> G2Jacobian:
        x, y, z = p
        if z == (0, 0) or y == (0, 0):
            return _G2.zero
        a = _fq2_sqr(x)
        b = _fq2_sqr(y)
        c = _fq2_sqr(b)
        d = _fq2_scale(_fq2_sub(_fq2_sub(_fq2_sqr(_fq2_add(x, b)), a), c), 2)
        e = _fq2_scale(a, 3)
        x3 = _fq2_sub(_fq2_sqr(e), _fq2_scale(d, 2))
        y3 = _fq2_sub(_fq2_mul(e, _fq2_sub(d, x3)), _fq2_scale(c, 8))
        return (x3, y3, _fq2_scale(_fq2_mul(y, z), 2))

    @staticmethod
    def add_mixed(p: G2Jacobian, x2: Fq2, y2: Fq2) -> G2Jacobian:
        return _G2.add(p, (x2, y2, (1, 0)))

    @staticmethod
    def add(p: G2Jacobian, q: G2Jacobian) -> G2Jacobian:
        x1, y1, z1 = p
        x2, y2, z2 = q
        if z1 == (0, 0):
            return q
        if z2 == (0, 0):
            return p
        z1z1 = _fq2_sqr(z1)
        z2z2 = _fq2_sqr(z2)
        u1 = _fq2_mul(x1, z2z2)
        u2 = _fq2_mul(x2, z1z1)
        s1 = _fq2_mul(y1, _fq2_mul(z2, z2z2))
        s2 = _fq2_mul(y2, _fq2_mul(z1, z1z1))
        h = _fq2_sub(u2, u1)
        r = _fq2_sub(s2, s1)
        if h == (0, 0):
            return _G2.double(p) if r == (0, 0) else _G2.zero
        hh = _fq2_sqr(h)
        hhh = _fq2_mul(h, hh)
        v = _fq2_mul(u1, hh)
        x3 = _fq2_sub(_fq2_sub(_fq2_sqr(r), hhh), _fq2_scale(v, 2))
        y3 = _fq2_sub(_fq2_mul(r, _fq2_sub(v, x3)), _fq2_mul(s1, hhh))
        return (x3, y3, _fq2_mul(_fq2_mul(z1, z2), h))

    @staticmethod
    def to_affine(p: G2Jacobian) -> G2Point:
        x, y, z = p
        if z == (0, 0):
            return G2_INFINITY
        zi = _fq2_inv(z)
        zi2 = _fq2_sqr(zi)
        return (_fq2_mul(x, zi2), _fq2_mul(y, _fq2_mul(zi2, zi)))


# ---------------------------------------------------------------- validation


def _check_fq(v: object, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < Q:
        raise ValueError(f"{what} is not a canonical Fq element: {v!r}")
    return v


def check_g1(p: object, what: str = "G1 point") -> G1Point:
    """The point itself when it is (0, 0) or an affine point on y^2 = x^3 + 3."""
    if not isinstance(p, tuple | list) or len(p) != 2:
        raise ValueError(f"{what} is not an (x, y) pair: {p!r}")
    x = _check_fq(p[0], f"{what} x")
    y = _check_fq(p[1], f"{what} y")
    if (x or y) and (y * y - x * x * x - B1) % Q:
        raise ValueError(f"{what} is not on the curve y^2 = x^3 + 3: {p!r}")
    return (x, y)


def _check_fq2(v: object, what: str) -> Fq2:
    if not isinstance(v, tuple | list) or len(v) != 2:
        raise ValueError(f"{what} is not an Fq2 pair (c0, c1): {v!r}")
    return (_check_fq(v[0], f"{what}.c0"), _check_fq(v[1], f"{what}.c1"))


def check_g2(p: object, what: str = "G2 point") -> G2Point:
    """The point itself when it is infinity or on the twist y^2 = x^3 + 3/(9+i).

    Only membership of the curve is checked; the (costly) subgroup check is
    left to the verifier, which receives its points from a trusted setup.
    """
    if not isinstance(p, tuple | list) or len(p) != 2:
        raise ValueError(f"{what} is not an (x, y) pair: {p!r}")
    x = _check_fq2(p[0], f"{what} x")
    y = _check_fq2(p[1], f"{what} y")
    if x == (0, 0) and y == (0, 0):
        return G2_INFINITY
    if _fq2_sub(_fq2_sqr(y), _fq2_add(_fq2_mul(_fq2_sqr(x), x), B2)) != (0, 0):
        raise ValueError(f"{what} is not on the twist y^2 = x^3 + 3/(9+i): {p!r}")
    return (x, y)


def check_scalar(s: object, i: int) -> int:
    """Scalar number i reduced mod R; anything but an int (bools included) is refused."""
    if not isinstance(s, int) or isinstance(s, bool):
        raise ValueError(f"scalar {i} is not an int: {s!r}")
    return int(s) % R


def _check_scalars(scalars: Iterable[int]) -> list[int]:
    return [check_scalar(s, i) for i, s in enumerate(scalars)]


def check_lengths(points: Sized, scalars: Sized) -> None:
    """An MSM needs one scalar per point."""
    if len(points) != len(scalars):
        raise ValueError(f"length mismatch: {len(points)} points but {len(scalars)} scalars")


# ---------------------------------------------------------------- MSM


def msm_window(n: int) -> int:
    """Pippenger window width in bits: about log2(n) - 2, clamped to [1, 16]."""
    return max(1, min(16, n.bit_length() - 2))


def _pippenger(curve: _Curve[F], pts: list[tuple[F, F]], scalars: list[int]) -> tuple[F, F, F]:
    """sum scalars[i] * pts[i], pts affine and finite, by bucket accumulation."""
    c = msm_window(len(pts))
    mask = (1 << c) - 1
    acc = curve.zero
    for w in reversed(range(0, 254, c)):
        for _ in range(c):
            acc = curve.double(acc)
        buckets = [curve.zero] * (mask + 1)
        for (x, y), s in zip(pts, scalars, strict=True):
            d = (s >> w) & mask
            if d:
                buckets[d] = curve.add_mixed(buckets[d], x, y)
        # sum_d d * bucket[d] as a running sum from the top bucket down.
        running = curve.zero
        window = curve.zero
        for d in range(mask, 0, -1):
            running = curve.add(running, buckets[d])
            window = curve.add(window, running)
        acc = curve.add(acc, window)
    return acc


def msm_g1(points: Vector[G1Point], scalars: Vector[int]) -> G1Point:
    """sum scalars[i] * points[i] on G1 (scalars taken mod R)."""
    check_lengths(points, scalars)
    pts = [check_g1(p, f"G1 point {i}") for i, p in enumerate(points)]
    ks = _check_scalars(scalars)
    live = [(p, k) for p, k in zip(pts, ks, strict=True) if k and p != G1_INFINITY]
    if not live:
        return G1_INFINITY
    return _G1.to_affine(_pippenger(_G1, [p for p, _ in live], [k for _, k in live]))


def msm_g2(points: Vector[G2Point], scalars: Vector[int]) -> G2Point:
    """sum scalars[i] * points[i] on G2 (scalars taken mod R)."""
    check_lengths(points, scalars)
    pts = [check_g2(p, f"G2 point {i}") for i, p in enumerate(points)]
    ks = _check_scalars(scalars)
    live = [(p, k) for p, k in zip(pts, ks, strict=True) if k and p != G2_INFINITY]
    if not live:
        return G2_INFINITY
    return _G2.to_affine(_pippenger(_G2, [p for p, _ in live], [k for _, k in live]))


# ---------------------------------------------------------------- fixed base


def batch_window(n: int) -> int:
    """Fixed-base window width: the table costs 2^w per window, each scalar one add."""
    best, best_cost = 1, None
    for w in range(1, 17):
        windows = -(-254 // w)
        cost = windows * ((1 << w) + n)
        if best_cost is None or cost < best_cost:
            best, best_cost = w, cost
    return best


def _batch_mul(curve: _Curve[F], base: tuple[F, F, F], scalars: list[int]) -> list[tuple[F, F]]:
    w = batch_window(len(scalars))
    mask = (1 << w) - 1
    # table[j][d] = d * 2^(w j) * base, affine, for every window j and digit d.
    table: list[list[tuple[F, F]]] = []
    row_base = base
    for _ in range(0, 254, w):
        row = [curve.zero]
        for _ in range(mask):
            row.append(curve.add(row[-1], row_base))
        table.append([curve.to_affine(p) for p in row])
        for _ in range(w):
            row_base = curve.double(row_base)
    out: list[tuple[F, F]] = []
    for s in scalars:
        acc = curve.zero
        j = 0
        while s:
            d = s & mask
            if d:
                x, y = table[j][d]
                acc = curve.add_mixed(acc, x, y)
            s >>= w
            j += 1
        out.append(curve.to_affine(acc))
    return out


@overload
def batch_mul_g1(point: G1Point, scalars: Vector[int], packed: Literal[False] = ...) -> list[G1Point]: ...
@overload
def batch_mul_g1(point: G1Point, scalars: Vector[int], packed: Literal[True]) -> G1Points: ...
@overload
def batch_mul_g1(point: G1Point, scalars: Vector[int], packed: bool) -> list[G1Point] | G1Points: ...
def batch_mul_g1(point: G1Point, scalars: Vector[int], packed: bool = False) -> list[G1Point] | G1Points:
    """[s * point for s in scalars] on G1, sharing one window table; ``packed``: as :class:`G1Points`."""
    p = check_g1(point, "G1 base point")
    ks = _check_scalars(scalars)
    out = [G1_INFINITY] * len(ks) if p == G1_INFINITY else _batch_mul(_G1, (p[0], p[1], 1), ks)
    return G1Points.from_points(out) if packed else out


@overload
def batch_mul_g2(point: G2Point, scalars: Vector[int], packed: Literal[False] = ...) -> list[G2Point]: ...
@overload
def batch_mul_g2(point: G2Point, scalars: Vector[int], packed: Literal[True]) -> G2Points: ...
@overload
def batch_mul_g2(point: G2Point, scalars: Vector[int], packed: bool) -> list[G2Point] | G2Points: ...
def batch_mul_g2(point: G2Point, scalars: Vector[int], packed: bool = False) -> list[G2Point] | G2Points:
    """[s * point for s in scalars] on G2, sharing one window table; ``packed``: as :class:`G2Points`."""
    p = check_g2(point, "G2 base point")
    ks = _check_scalars(scalars)
    out = [G2_INFINITY] * len(ks) if p == G2_INFINITY else _batch_mul(_G2, (p[0], p[1], (1, 0)), ks)
    return G2Points.from_points(out) if packed else out


# ---------------------------------------------------------------- FFT over Fr


def root_of_unity(n: int) -> int:
    """A primitive n-th root of unity of Fr: 5^((R-1)/n), n a power of two <= 2^28."""
    if not isinstance(n, int) or n < 1 or n & (n - 1) or n > 1 << TWO_ADICITY:
        raise ValueError(f"FFT size must be a power of two up to 2^28, got {n!r}")
    return pow(GENERATOR, (R - 1) // n, R)


def check_omega(n: int, omega: object) -> int:
    """omega mod R, checked to be a primitive n-th root of unity, n a power of two."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"FFT size must be a power of two, got {n}")
    if not isinstance(omega, int) or isinstance(omega, bool):
        raise ValueError(f"omega is not an int: {omega!r}")
    omega %= R
    if pow(omega, n, R) != 1 or (n > 1 and pow(omega, n // 2, R) != R - 1):
        raise ValueError(f"omega is not a primitive {n}-th root of unity mod R")
    return omega


def _ntt(a: list[int], omega: int) -> list[int]:
    """In-place iterative radix-2 Cooley-Tukey on a bit-reversed copy."""
    n = len(a)
    j = 0
    for i in range(1, n):  # bit-reversal permutation
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    size = 2
    while size <= n:
        half = size // 2
        w_step = pow(omega, n // size, R)
        twiddles = [1] * half
        for k in range(1, half):
            twiddles[k] = twiddles[k - 1] * w_step % R
        for start in range(0, n, size):
            for k in range(half):
                u = a[start + k]
                v = a[start + k + half] * twiddles[k] % R
                a[start + k] = (u + v) % R
                a[start + k + half] = (u - v) % R
        size *= 2
    return a


def check_shift(shift: object) -> int:
    """A coset shift reduced mod R; it must be invertible, so ifft can undo it."""
    if not isinstance(shift, int) or isinstance(shift, bool):
        raise ValueError(f"coset shift is not an int: {shift!r}")
    if shift % R == 0:
        raise ValueError("coset shift must be nonzero mod R")
    return shift % R


def fft(values: Sequence[int], omega: int, shift: int = 1) -> list[int]:
    """Evaluations of sum values[j] X^j at shift * omega^i for i < n, mod R.

    shift = 1 is the plain FFT; another shift evaluates on the coset
    shift * <omega>, as a prover does to divide by the vanishing polynomial.
    """
    omega = check_omega(len(values), omega)
    shift = check_shift(shift)
    a = _check_scalars(values)
    if shift != 1:
        power = 1
        for j in range(len(a)):
            a[j] = a[j] * power % R
            power = power * shift % R
    return _ntt(a, omega)


def ifft(values: Sequence[int], omega: int, shift: int = 1) -> list[int]:
    """Coefficients whose fft under (omega, shift) is values: the inverse of fft."""
    omega = check_omega(len(values), omega)
    shift = check_shift(shift)
    a = _check_scalars(values)
    factor = pow(len(a), -1, R)
    step = pow(shift, -1, R)
    out = _ntt(a, pow(omega, -1, R))
    for j, v in enumerate(out):
        out[j] = v * factor % R
        factor = factor * step % R
    return out


# ---------------------------------------------------------------- packed vectors
#
# A proving key holds millions of points; as tuples of Python ints each G1
# point costs about 200 bytes and each G2 point 400, against 64 and 128 packed.
# These containers keep coordinates (and Fr vectors) packed as 32-byte
# little-endian words, the layout the compiled kernels take as they are, and
# still read as sequences of tuples (or ints) wherever one is expected.

ENCODINGS = {"le": 0, "mont": 1, "be": 2}
"""Encodings of packed coordinates: plain little-endian (the kernels' own),
little-endian Montgomery form ``x * 2^256 mod q`` (snarkjs' ``.zkey``), and
plain big-endian (l2lab's key files)."""
_MONT = pow(2, 256, Q)
_MONT_INV = pow(2, -256, Q)


class PointError(ValueError):
    """A packed point that is not canonical or not on its curve: ``index`` names it, ``kind`` says which."""

    def __init__(self, index: int, kind: str) -> None:
        super().__init__(f"point {index} is " + ("not canonical (a coordinate >= q)" if kind == "canonical"
                                                  else "not on its curve"))
        self.index, self.kind = index, kind


class FrWords:
    """Fr elements packed as 32-byte little-endian words (values below 2^256, taken mod R where used)."""

    __slots__ = ("buf",)

    def __init__(self, buf: bytes | bytearray) -> None:
        if len(buf) % 32:
            raise ValueError(f"packed words take 32 bytes each, got {len(buf)} bytes")
        self.buf = buf

    @classmethod
    def from_ints(cls, values: Iterable[int]) -> FrWords:
        return cls(bytearray(b"".join(check_scalar(v, i).to_bytes(32, "little") for i, v in enumerate(values))))

    @classmethod
    def zeros(cls, n: int) -> FrWords:
        return cls(bytearray(32 * n))

    def __len__(self) -> int:
        return len(self.buf) // 32

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> FrWords: ...
    def __getitem__(self, i: int | slice) -> int | FrWords:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:
                raise ValueError("packed words slice with step 1 only")
            return FrWords(self.buf[32 * start : 32 * max(start, stop)])
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("packed word index out of range")
        return int.from_bytes(self.buf[32 * i : 32 * i + 32], "little")

    def __iter__(self) -> Iterator[int]:
        fb, buf = int.from_bytes, self.buf
        return (fb(buf[k : k + 32], "little") for k in range(0, len(buf), 32))

    def tolist(self) -> list[int]:
        return list(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrWords):
            return bytes(self.buf) == bytes(other.buf)
        if isinstance(other, list | tuple):
            return self.tolist() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


P = TypeVar("P", G1Point, G2Point)  # the point type a packed container reads as


class _Points(Generic[P]):
    """Affine points packed as plain little-endian coordinates, ``WORDS`` of 32 bytes per point."""

    WORDS: ClassVar[int] = 2
    __slots__ = ("buf",)

    def __init__(self, buf: bytes | bytearray = b"") -> None:
        if len(buf) % (32 * self.WORDS):
            raise ValueError(f"packed points take {32 * self.WORDS} bytes each, got {len(buf)} bytes")
        self.buf = buf

    @classmethod
    def from_points(cls, points: Iterable[object]) -> Self:
        """Points given as tuples (checked canonical and on the curve) packed."""
        if isinstance(points, cls):
            return points
        parts: list[bytes] = []
        for i, p in enumerate(points):
            coords: tuple[int, ...]
            if cls.WORDS == 2:
                coords = check_g1(p, f"point {i}")
            else:
                q: G2Point = check_g2(p, f"point {i}")
                coords = (*q[0], *q[1])
            parts.extend(c.to_bytes(32, "little") for c in coords)
        return cls(b"".join(parts))

    def __len__(self) -> int:
        return len(self.buf) // (32 * self.WORDS)

    def _point(self, i: int) -> Any:  # a P: a G1 pair when WORDS == 2, a G2 pair of pairs when 4
        k = 32 * self.WORDS * i
        fb, b = int.from_bytes, self.buf
        c = [fb(b[k + 32 * j : k + 32 * j + 32], "little") for j in range(self.WORDS)]
        return (c[0], c[1]) if self.WORDS == 2 else ((c[0], c[1]), (c[2], c[3]))

    @overload
    def __getitem__(self, i: int) -> P: ...
    @overload
    def __getitem__(self, i: slice) -> Self | list[P]: ...  # a list when the step is not 1
    def __getitem__(self, i: int | slice) -> P | Self | list[P]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:
                return [self._point(j) for j in range(start, stop, step)]
            size = 32 * self.WORDS
            return type(self)(bytes(self.buf[size * start : size * max(start, stop)]))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("packed point index out of range")
        return self._point(i)

    def __iter__(self) -> Iterator[P]:
        return (self._point(i) for i in range(len(self)))

    def tolist(self) -> list[P]:
        return list(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Points):
            return self.WORDS == other.WORDS and bytes(self.buf) == bytes(other.buf)
        if isinstance(other, list | tuple):
            return self.tolist() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} points)"


class G1Points(_Points[G1Point]):
    """G1 points packed, 64 bytes each (x, y); infinity is all zeros."""

    WORDS = 2


class G2Points(_Points[G2Point]):
    """G2 points packed, 128 bytes each (x.c0, x.c1, y.c0, y.c1); infinity is all zeros."""

    WORDS = 4


_PointsT = TypeVar("_PointsT", bound="_Points[Any]")


def _decode(cls: type[_PointsT], data: bytes | bytearray | memoryview, encoding: str) -> _PointsT:
    enc = ENCODINGS[encoding]
    size = 32 * cls.WORDS
    if len(data) % size:
        raise ValueError(f"packed points take {size} bytes each, got {len(data)} bytes")
    check = check_g1 if cls.WORDS == 2 else check_g2
    out = bytearray(len(data))
    mv = memoryview(data).cast("B")
    for i in range(len(data) // size):
        words = []
        for j in range(cls.WORDS):
            raw = bytes(mv[size * i + 32 * j : size * i + 32 * j + 32])
            v = int.from_bytes(raw, "big" if enc == 2 else "little")
            if v >= Q:
                raise PointError(i, "canonical")
            words.append(v * _MONT_INV % Q if enc == 1 else v)
        p = (words[0], words[1]) if cls.WORDS == 2 else ((words[0], words[1]), (words[2], words[3]))
        try:
            check(p)
        except ValueError:
            raise PointError(i, "curve") from None
        out[size * i : size * i + size] = b"".join(w.to_bytes(32, "little") for w in words)
    return cls(out)


def decode_g1(data: bytes | bytearray | memoryview, encoding: str = "le") -> G1Points:
    """Packed G1 points in ``encoding`` (see ``ENCODINGS``), each checked canonical and on the curve.

    Raises :class:`PointError` naming the first bad point.
    """
    return _decode(G1Points, data, encoding)


def decode_g2(data: bytes | bytearray | memoryview, encoding: str = "le") -> G2Points:
    """Packed G2 points in ``encoding``, each checked canonical and on the twist (not the subgroup)."""
    return _decode(G2Points, data, encoding)


def encode_points(points: _Points[Any], encoding: str) -> bytes:
    """The packed points' coordinates in ``encoding``."""
    enc = ENCODINGS[encoding]
    if enc == 0:
        return bytes(points.buf)
    buf = points.buf
    out = []
    for k in range(0, len(buf), 32):
        v = int.from_bytes(buf[k : k + 32], "little")
        out.append((v * _MONT % Q).to_bytes(32, "little") if enc == 1 else v.to_bytes(32, "big"))
    return b"".join(out)


def fr_rows(n: int, rows: Sequence[int], signals: Sequence[int], ids: Sequence[int], table: FrWords,
            witness: FrWords) -> FrWords:
    """``out[k] = sum table[ids[e]] * witness[signals[e]]`` over the entries ``e`` with ``rows[e] = k``.

    The columns must be in range (rows below n, signals below len(witness),
    ids below len(table)); the caller checks them once when it reads them.
    """
    t, w = [v % R for v in table], [v % R for v in witness]
    acc = [0] * n
    for r, s, i in zip(rows, signals, ids, strict=True):
        acc[r] += t[i] * w[s]
    return FrWords.from_ints([x % R for x in acc])


def fr_mul_sub(a: FrWords, b: FrWords, c: FrWords | None, k: int = 1) -> FrWords:
    """``(a[i] * b[i] - c[i]) * k`` for every i (``c`` None: zero), as packed words."""
    if len(a) != len(b) or (c is not None and len(c) != len(a)):
        raise ValueError("packed vectors of different lengths")
    k %= R
    cs = c if c is not None else [0] * len(a)
    return FrWords.from_ints([(x * y - z) * k % R for x, y, z in zip(a, b, cs, strict=True)])


def fft_words(values: FrWords, omega: int, shift: int = 1, inverse: bool = False) -> FrWords:
    """:func:`fft` (or :func:`ifft` when ``inverse``) of packed words, packed."""
    return FrWords.from_ints((ifft if inverse else fft)(list(values), omega, shift))
