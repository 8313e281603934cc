"""What Ethereum's precompiles compute: ecrecover and BN254 add/mul/pairing.

Points use the EIP-196/197 conventions as plain ints: a G1 point is
``(x, y)`` with ``(0, 0)`` for infinity; a G2 point is
``((x_imag, x_real), (y_imag, y_real))`` -- imaginary part first, the order
the precompile reads its 32-byte words in (and the order snarkjs/Solidity
verifiers write them). ``g2_from_py_ecc`` converts a py_ecc point and
``g2_from_c0c1`` a real-part-first tuple. Curve
arithmetic is py_ecc's ``optimized_bn128``. Bad input raises ``ValueError``
naming the problem; the runtime turns it into a revert.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from py_ecc import optimized_bn128 as bn

from primitives import secp256k1
from primitives.snark.field import Q, R

G1Affine = tuple[int, int]
G2Affine = tuple[tuple[int, int], tuple[int, int]]



def ecrecover(digest: bytes, signature: bytes) -> str | None:
    """Signer of a 32-byte digest from a 65-byte r||s||v signature, or None.

    v must be 27 or 28 (as the EVM precompile takes it). High-s signatures are refused (None), like
    OpenZeppelin's ECDSA.recover, so each message has one valid signature.
    """
    if len(digest) != 32 or len(signature) != 65:
        return None
    try:
        return secp256k1.recover(bytes(digest), bytes(signature))
    except ValueError:
        return None


def _fq(v: int, what: str) -> bn.FQ:
    if not isinstance(v, int) or not 0 <= v < Q:
        raise ValueError(f"bn254: {what} is not a field element")
    return bn.FQ(v)


def _g1(point: Sequence[int], what: str = "G1 point"):
    if len(point) != 2:
        raise ValueError(f"bn254: {what} must be (x, y)")
    x, y = _fq(point[0], f"{what}.x"), _fq(point[1], f"{what}.y")
    if x == bn.FQ(0) and y == bn.FQ(0):
        return bn.Z1
    pt = (x, y, bn.FQ(1))
    if not bn.is_on_curve(pt, bn.b):
        raise ValueError(f"bn254: {what} is not on the curve")
    return pt


def _g2(point: Sequence[Sequence[int]], what: str = "G2 point"):
    if len(point) != 2 or any(len(c) != 2 for c in point):
        raise ValueError(f"bn254: {what} must be ((x_imag, x_real), (y_imag, y_real))")
    (xi, xr), (yi, yr) = point
    for v in (xi, xr, yi, yr):
        _fq(v, what)
    x, y = bn.FQ2([xr, xi]), bn.FQ2([yr, yi])
    if x == bn.FQ2.zero() and y == bn.FQ2.zero():
        return bn.Z2
    pt = (x, y, bn.FQ2.one())
    if not bn.is_on_curve(pt, bn.b2):
        raise ValueError(f"bn254: {what} is not on the twist curve")
    if not _in_g2_subgroup(xi, xr, yi, yr):
        raise ValueError(f"bn254: {what} is not in the G2 subgroup")
    return pt


@functools.lru_cache(maxsize=256)
def _in_g2_subgroup(xi: int, xr: int, yi: int, yr: int) -> bool:
    """Whether the twist point is in G2 (r·P is infinity); a verifying key's points are checked once."""
    return bool(bn.is_inf(bn.multiply((bn.FQ2([xr, xi]), bn.FQ2([yr, yi]), bn.FQ2.one()), R)))


def _affine_g1(pt) -> G1Affine:
    if bn.is_inf(pt):
        return (0, 0)
    x, y = bn.normalize(pt)
    return (int(x), int(y))


def g2_from_py_ecc(point) -> G2Affine:
    """EIP-197 order tuple of a py_ecc G2 point (affine FQ2 pair or optimized triple)."""
    if len(point) == 3:
        if bn.is_inf(point):
            return ((0, 0), (0, 0))
        point = bn.normalize(point)
    x, y = point
    xr, xi = (int(c) for c in x.coeffs)
    yr, yi = (int(c) for c in y.coeffs)
    return ((xi, xr), (yi, yr))


def g2_from_c0c1(point: Sequence[Sequence[int]]) -> G2Affine:
    """EIP-197 order from ``((x.c0, x.c1), (y.c0, y.c1))`` (real part first, as py_ecc's coeffs)."""
    (x0, x1), (y0, y1) = point
    return ((x1, x0), (y1, y0))


def bn254_add(p1: Sequence[int], p2: Sequence[int]) -> G1Affine:
    """G1 addition (precompile 0x06)."""
    return _affine_g1(bn.add(_g1(p1, "first point"), _g1(p2, "second point")))


def bn254_mul(point: Sequence[int], scalar: int) -> G1Affine:
    """G1 scalar multiplication (precompile 0x07); the scalar is any uint256."""
    if not isinstance(scalar, int) or not 0 <= scalar < 2**256:
        raise ValueError("bn254: scalar must be a uint256")
    return _affine_g1(bn.multiply(_g1(point), scalar % R))


def bn254_pairing(pairs: Sequence[tuple[Sequence[int], Sequence]]) -> bool:
    """True iff the product of e(g1_i, g2_i) is one (precompile 0x08).

    Every point is checked first (on its curve, G2 in its subgroup); the
    product is then one shared Miller loop and one final exponentiation
    (``primitives.snark.pairing``), which equals py_ecc's pairings multiplied.
    """
    from primitives.snark.pairing import pairing_product

    checked = []
    for i, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(f"bn254: pair {i} must be (g1, g2)")
        g1 = _g1(pair[0], f"pair {i} G1 point")
        g2 = _g2(pair[1], f"pair {i} G2 point")
        if bn.is_inf(g1) or bn.is_inf(g2):
            continue
        (x1, y1), (x2, y2) = bn.normalize(g1), bn.normalize(g2)
        (xr, xi), (yr, yi) = (int(c) for c in x2.coeffs), (int(c) for c in y2.coeffs)
        checked.append(((int(x1), int(y1)), ((xr, xi), (yr, yi))))
    return not checked or pairing_product(checked) == bn.FQ12.one()
