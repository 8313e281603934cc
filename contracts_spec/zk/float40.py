"""Float40: a transfer amount in five bytes, ``mantissa * 10**exponent``.

As Hermez and zkSync pack L2 amounts: the low 35 bits are the mantissa, the
high 5 bits the exponent, so ``packed = exponent << 35 | mantissa`` and the
amount is ``mantissa * 10**exponent``. Every amount below 2**35 packs
exactly; larger ones only when their low decimal digits are zero. ``pack``
picks the smallest exponent that represents the amount exactly (one
encoding per amount, so the signed message is deterministic), and refuses
an amount that no encoding represents, naming the nearest packable amounts
below and above it.
"""

from __future__ import annotations

MANTISSA_BITS = 35
EXPONENT_BITS = 5
PACKED_BITS = MANTISSA_BITS + EXPONENT_BITS
PACKED_BYTES = PACKED_BITS // 8
MAX_MANTISSA = (1 << MANTISSA_BITS) - 1
MAX_EXPONENT = (1 << EXPONENT_BITS) - 1
MAX_AMOUNT = MAX_MANTISSA * 10**MAX_EXPONENT


class NotPackable(ValueError):
    """An amount float40 cannot represent exactly; names the nearest ones that it can."""

    def __init__(self, amount: int, below: int, above: int | None) -> None:
        self.amount, self.below, self.above = amount, below, above
        nearest = f"{below}" + (f" or {above}" if above is not None else "")
        super().__init__(f"amount {amount} wei cannot be packed into float40 (35-bit mantissa times a power of "
                         f"ten); the nearest packable amounts are {nearest}")


def unpack(packed: int) -> int:
    """The amount a 40-bit encoding stands for."""
    if isinstance(packed, bool) or not isinstance(packed, int) or not 0 <= packed < 1 << PACKED_BITS:
        raise ValueError(f"a float40 encoding is an integer in [0, 2**40), got {packed!r}")
    return (packed & MAX_MANTISSA) * 10 ** (packed >> MANTISSA_BITS)


def _check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"an amount is a non-negative integer of wei, got {amount!r}")
    return amount


def pack(amount: int) -> int:
    """The encoding of ``amount`` with the smallest exponent; NotPackable when there is none."""
    amount = _check_amount(amount)
    for e in range(MAX_EXPONENT + 1):
        m, rest = divmod(amount, 10**e)
        if rest:
            break
        if m <= MAX_MANTISSA:
            return e << MANTISSA_BITS | m
    raise NotPackable(amount, round_down(amount), round_up(amount))


def is_packable(amount: int) -> bool:
    try:
        pack(amount)
    except NotPackable:
        return False
    return True


def round_down(amount: int) -> int:
    """The largest packable amount not above ``amount``."""
    amount = _check_amount(amount)
    if amount >= MAX_AMOUNT:
        return MAX_AMOUNT
    e = 0
    while amount // 10**e > MAX_MANTISSA:
        e += 1
    return amount // 10**e * 10**e


def round_up(amount: int) -> int | None:
    """The smallest packable amount not below ``amount``; None above the largest."""
    amount = _check_amount(amount)
    if amount > MAX_AMOUNT:
        return None
    for e in range(MAX_EXPONENT + 1):
        ceil = -(-amount // 10**e)
        if ceil <= MAX_MANTISSA:
            return ceil * 10**e
    return None
