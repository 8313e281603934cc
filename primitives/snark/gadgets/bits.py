"""Bits, range checks, comparisons, zero tests and conditional selection.

Bit lists are little-endian: ``bits[0]`` is the least significant bit.
"""

from __future__ import annotations

from collections.abc import Sequence

from primitives.snark.r1cs import LC, Circuit, R, as_lc

FIELD_BITS = R.bit_length()  # 254


def to_bits(c: Circuit, x: LC | int, n: int) -> list[LC]:
    """The ``n`` low bits of ``x``, constrained so that ``x < 2^n``: n + 1 constraints.

    With ``n >= 254`` several bit patterns can encode the same field element;
    use :func:`to_bits_strict` when the encoding must be unique.
    """
    if not 1 <= n <= FIELD_BITS:
        raise ValueError(f"bit width must be in [1, {FIELD_BITS}], got {n}")
    x = as_lc(x, c)
    bits = c.hints(lambda v: [(v >> i) & 1 for i in range(n)], n, x)
    total = as_lc(0, c)
    for i, b in enumerate(bits):
        c.assert_bool(b, f"bit{i}")
        total = total + b.scale(1 << i)
    c.assert_equal(total, x, "bits.sum")
    return bits


def assert_bits_le_const(c: Circuit, bits: Sequence[LC], k: int, name: str = "le_const") -> None:
    """The number ``bits`` encode (each already a bit) is at most the constant ``k``.

    Walks k's runs of equal bits from the top keeping ``eq`` = "the bits so
    far equal k's". Over a run of 0s in k, any 1 bit while ``eq`` holds would
    make the number exceed k, so ``eq * (sum of the run's bits) == 0``: one
    constraint per run (a sum of bits is zero only if every bit is). Over a
    run of 1s the prefix stays equal only if every bit is 1: a product per
    bit, or for runs of three or more, one zero test of ``len - sum`` (two
    constraints) and one product.
    """
    if not 0 <= k < 1 << len(bits):
        raise ValueError(f"constant {k} does not fit in {len(bits)} bits")
    eq = as_lc(1, c)
    i = len(bits) - 1
    while i >= 0:
        bit_of_k = (k >> i) & 1
        j = i
        while j >= 0 and (k >> j) & 1 == bit_of_k:
            j -= 1
        run = [bits[n] for n in range(i, j, -1)]
        total = sum(run[1:], run[0])
        if not bit_of_k:
            c.constrain(eq, total, 0, f"{name}.zeros{i}")
        elif len(run) < 3:
            for n, b in enumerate(run):
                eq = c.mul(eq, b, f"{name}.ones{i - n}")
        else:
            with c.scope(f"{name}.ones{i}"):
                eq = c.mul(eq, is_zero(c, len(run) - total), "all")
        i = j


def to_bits_strict(c: Circuit, x: LC | int) -> list[LC]:
    """The 254 bits of ``x`` as the unique encoding of a field element (< R)."""
    bits = to_bits(c, x, FIELD_BITS)
    assert_bits_le_const(c, bits, R - 1, "alias")
    return bits


def from_bits(bits: Sequence[LC]) -> LC:
    """The number a little-endian bit list encodes (free: a linear combination)."""
    total = as_lc(0)
    for i, b in enumerate(bits):
        total = total + b.scale(1 << i)
    return total


def range_check(c: Circuit, x: LC | int, n: int) -> None:
    """``x < 2^n``."""
    to_bits(c, x, n)


def less_than(c: Circuit, a: LC | int, b: LC | int, n: int) -> LC:
    """1 if ``a < b`` else 0, for ``a, b < 2^n`` (the caller range-checks them): n + 2 constraints.

    ``a + 2^n - b`` lies in ``[1, 2^(n+1))``; its bit n is set exactly when ``a >= b``.
    """
    if not 1 <= n < FIELD_BITS - 1:
        raise ValueError(f"comparison width must be in [1, {FIELD_BITS - 2}], got {n}")
    bits = to_bits(c, as_lc(a, c) + (1 << n) - b, n + 1)
    return 1 - bits[n]


def less_eq(c: Circuit, a: LC | int, b: LC | int, n: int) -> LC:
    """1 if ``a <= b`` else 0, for ``a, b < 2^n``."""
    return less_than(c, a, as_lc(b, c) + 1, n + 1)


def greater_than(c: Circuit, a: LC | int, b: LC | int, n: int) -> LC:
    """1 if ``a > b`` else 0, for ``a, b < 2^n``."""
    return less_than(c, b, a, n)


def is_zero(c: Circuit, x: LC | int) -> LC:
    """1 if ``x == 0`` else 0: two constraints.

    The prover supplies ``inv = 1/x`` (or 0); ``out = 1 - x * inv`` and
    ``x * out == 0`` leave no freedom: x != 0 forces out = 0, and x == 0
    forces out = 1.
    """
    x = as_lc(x, c)
    inv = c.hint(lambda v: pow(v, -1, R) if v else 0, x)
    out = 1 - c.mul(x, inv, "is_zero.inv")
    c.constrain(x, out, 0, "is_zero.out")
    return out


def is_equal(c: Circuit, a: LC | int, b: LC | int) -> LC:
    """1 if ``a == b`` else 0."""
    return is_zero(c, as_lc(a, c) - b)


def assert_nonzero(c: Circuit, x: LC | int, name: str = "nonzero") -> None:
    """``x != 0``, by exhibiting its inverse: one constraint."""
    x = as_lc(x, c)
    inv = c.hint(lambda v: pow(v, -1, R) if v else 0, x)
    c.constrain(x, inv, 1, name)


def select(c: Circuit, cond: LC, when_true: LC | int, when_false: LC | int, name: str = "select") -> LC:
    """``when_true`` if ``cond`` is 1, ``when_false`` if it is 0: one constraint.

    ``cond`` must already be constrained to be a bit.
    """
    f = as_lc(when_false, c)
    return f + c.mul(cond, as_lc(when_true, c) - f, name)
