"""The BN254 scalar field F_r: the field every circuit, Poseidon and BabyJubJub live in.

Elements are plain Python ints in ``[0, R)``. These helpers are the few
operations the rest of ``primitives.snark`` needs beyond ``+ - *`` and ``% R``.

This module is also the one home of BN254's two moduli, ``R`` and the base
field's ``Q``; every other module of ``primitives`` imports them from here.
"""

from __future__ import annotations

# The BN254 (alt_bn128) curve of EIP-196/197 (Ethereum's precompiles 0x06-0x08),
# y^2 = x^3 + 3 over F_Q. Q is the prime of that base field; R is the prime order
# of G1, G2 and GT, and so the SNARK scalar field. py_ecc's bn128 ``field_modulus``
# and ``curve_order`` are the same numbers.
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
"""The base field modulus of BN254: curve point coordinates live modulo Q."""
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""The order of BN254's groups: the SNARK scalar field, every signal lives modulo R."""

# R - 1 = 2^28 * odd: the two-adicity Tonelli-Shanks walks down.
_TWO_ADICITY = 28
_ODD = (R - 1) >> _TWO_ADICITY
# 5 generates F_r^* (it is the multiplicative generator the BN254 tooling uses).
_GENERATOR = 5


def is_element(x: object) -> bool:
    """True for an int already reduced into the field."""
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < R


def check_element(x: object, what: str = "field element") -> int:
    """Return ``x`` if it is a reduced field element; otherwise raise ValueError naming it."""
    if not isinstance(x, int) or isinstance(x, bool):
        raise ValueError(f"{what} must be an int, got {type(x).__name__}")
    if not 0 <= x < R:
        raise ValueError(f"{what} must be in [0, R), got {x}")
    return x


def inv(x: int) -> int:
    """Multiplicative inverse; zero has none, so it raises ZeroDivisionError."""
    x %= R
    if x == 0:
        raise ZeroDivisionError("0 has no inverse in F_r")
    return pow(x, -1, R)


def legendre(x: int) -> int:
    """1 for a non-zero square, R - 1 for a non-square, 0 for zero (Euler's criterion)."""
    return pow(x % R, (R - 1) // 2, R)


def sqrt(x: int) -> int | None:
    """A square root of ``x`` (the smaller of the two), or None if ``x`` is not a square.

    Tonelli-Shanks, since R = 1 mod 4 rules out the single-exponentiation shortcut.
    """
    x %= R
    if x == 0:
        return 0
    if legendre(x) != 1:
        return None
    m = _TWO_ADICITY
    c = pow(_GENERATOR, _ODD, R)
    t = pow(x, _ODD, R)
    root = pow(x, (_ODD + 1) // 2, R)
    while t != 1:
        # Find the least i with t^(2^i) = 1, then fold the matching power of c in.
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % R
            i += 1
        b = pow(c, 1 << (m - i - 1), R)
        m, c = i, b * b % R
        t, root = t * c % R, root * b % R
    return min(root, R - root)


__all__ = ["Q", "R", "is_element", "check_element", "inv", "legendre", "sqrt"]
