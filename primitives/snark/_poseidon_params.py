"""Poseidon round constants and MDS matrices, generated as the Poseidon paper's reference does.

The reference script (``generate_parameters_grain``) seeds an 80-bit Grain LFSR
with the instance description, discards 160 bits, and reads its output through
a self-shrinking filter. Round constants are drawn first, by rejection sampling
of 254-bit big-endian integers below the prime; the MDS matrix is then the Cauchy
matrix ``1 / (x_i + y_j)`` over the next ``2t`` draws (reduced, not rejected).
circomlib's constants are exactly this output for x^5 over BN254's scalar field
with 8 full rounds and its table of partial rounds, so nothing here is pasted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from primitives.snark.field import R

FIELD_BITS = 254  # n: bits per field element, ceil(log2 R)
FULL_ROUNDS = 8  # R_F for every width, as circomlib uses it
# R_P for t = 2, 3, ..., 17 (1 to 16 inputs), circomlib's table: the smallest
# secure count for x^5 at 128-bit security, rounded up per the paper's margin.
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
MIN_WIDTH = 2
MAX_WIDTH = MIN_WIDTH + len(PARTIAL_ROUNDS) - 1


def _int_bits(value: int, width: int) -> list[int]:
    """``value`` as ``width`` bits, most significant first."""
    return [(value >> (width - 1 - i)) & 1 for i in range(width)]


_TAPS = (0, 13, 23, 38, 51, 62)  # b[k + 80] = XOR of b[k + tap]: the reference's feedback
_CHUNK = 16  # raw bits clocked at once; any count up to 80 - 62 = 18 is independent


def _shrink_table() -> list[tuple[int, int]]:
    """For each byte of raw output (4 bit pairs, first pair in the top bits): kept bits, count."""
    table = []
    for byte in range(256):
        value = count = 0
        for pair in range(4):
            first, second = (byte >> (7 - 2 * pair)) & 1, (byte >> (6 - 2 * pair)) & 1
            if first:
                value, count = (value << 1) | second, count + 1
        table.append((value, count))
    return table


_SHRINK = _shrink_table()


class GrainLFSR:
    """The reference's 80-bit Grain LFSR with its self-shrinking output filter.

    The reference clocks one bit at a time; since the furthest tap is 62, the
    next 16 bits depend only on the current 80 and are computed together.
    """

    def __init__(self, field_kind: int, sbox_kind: int, n: int, t: int, r_f: int, r_p: int):
        # Seed layout of the reference: 2 + 4 + 12 + 12 + 10 + 10 bits, then 30 ones.
        bits = (
            _int_bits(field_kind, 2)
            + _int_bits(sbox_kind, 4)
            + _int_bits(n, 12)
            + _int_bits(t, 12)
            + _int_bits(r_f, 10)
            + _int_bits(r_p, 10)
            + [1] * 30
        )
        # The state is an 80-bit int whose bit 79 is the oldest bit (sequence position 0).
        self._state = 0
        for b in bits:
            self._state = (self._state << 1) | b
        for _ in range(160 // _CHUNK):  # the reference discards the first 160 bits
            self._clock_chunk()
        self._out = 0  # filtered bits not yet consumed, oldest in the top bit
        self._out_len = 0

    def _clock_chunk(self) -> int:
        """Clock 16 times; return the 16 new bits, the earliest in bit 15."""
        s = self._state
        chunk = 0
        for tap in _TAPS:
            # Positions tap .. tap + 15 of the window, position tap in bit 15.
            chunk ^= s >> (80 - _CHUNK - tap)
        chunk &= (1 << _CHUNK) - 1
        self._state = ((s << _CHUNK) | chunk) & ((1 << 80) - 1)
        return chunk

    def next_int(self, n: int) -> int:
        """The next ``n`` filtered bits as a big-endian integer.

        Filter: of each clocked pair, keep the second bit only when the first is 1.
        """
        while self._out_len < n:
            chunk = self._clock_chunk()
            for byte in (chunk >> 8, chunk & 0xFF):
                value, count = _SHRINK[byte]
                self._out = (self._out << count) | value
                self._out_len += count
        self._out_len -= n
        result = self._out >> self._out_len
        self._out &= (1 << self._out_len) - 1
        return result

    def bits(self) -> Iterator[int]:
        """The filtered output as a stream of bits."""
        while True:
            yield self.next_int(1)

    def next_field_element(self, n: int, prime: int) -> int:
        """Rejection sampling: draw ``n``-bit integers until one is below ``prime``."""
        while True:
            v = self.next_int(n)
            if v < prime:
                return v


def partial_rounds(t: int) -> int:
    """circomlib's number of partial rounds for width ``t``."""
    if not MIN_WIDTH <= t <= MAX_WIDTH:
        raise ValueError(f"Poseidon width t must be in [{MIN_WIDTH}, {MAX_WIDTH}], got {t}")
    return PARTIAL_ROUNDS[t - MIN_WIDTH]


def generate(t: int) -> tuple[list[int], list[list[int]]]:
    """Round constants (flat, ``(R_F + R_P) * t`` of them) and the t x t MDS matrix for width t."""
    r_p = partial_rounds(t)
    # field_kind 1 = prime field, sbox_kind 0 = x^alpha, as in the reference.
    lfsr = GrainLFSR(1, 0, FIELD_BITS, t, FULL_ROUNDS, r_p)
    constants = [
        lfsr.next_field_element(FIELD_BITS, R) for _ in range((FULL_ROUNDS + r_p) * t)
    ]
    while True:
        # Draw 2t distinct values; redraw all of them on any repeat, as the reference does.
        draws = [lfsr.next_int(FIELD_BITS) % R for _ in range(2 * t)]
        while len(set(draws)) != len(draws):
            draws = [lfsr.next_int(FIELD_BITS) % R for _ in range(2 * t)]
        xs, ys = draws[:t], draws[t:]
        if all((x + y) % R for x in xs for y in ys):
            break
    mds = [[pow(x + y, -1, R) for y in ys] for x in xs]
    return constants, mds


@dataclass(frozen=True)
class PoseidonParams:
    """One Poseidon instance: what the permutation and its circuit gadget both need.

    ``round_constants[r][i]`` is added to state word ``i`` in round ``r``; the
    linear layer is ``new[i] = sum_j mds[i][j] * state[j]``. The first and last
    ``full_rounds // 2`` rounds apply x^5 to every word, the partial rounds in
    between only to word 0.
    """

    t: int
    full_rounds: int
    partial_rounds: int
    round_constants: tuple[tuple[int, ...], ...]
    mds: tuple[tuple[int, ...], ...]

    @property
    def rounds(self) -> int:
        return self.full_rounds + self.partial_rounds

    def is_full_round(self, r: int) -> bool:
        """Whether round ``r`` (0-based) applies the S-box to the whole state."""
        half = self.full_rounds // 2
        return r < half or r >= half + self.partial_rounds


@functools.cache
def poseidon_params(t: int) -> PoseidonParams:
    """The circomlib Poseidon instance of width ``t`` (1 to 16 inputs), generated once per t."""
    constants, mds = generate(t)
    r_p = partial_rounds(t)
    rc = tuple(tuple(constants[r * t:(r + 1) * t]) for r in range(FULL_ROUNDS + r_p))
    return PoseidonParams(t, FULL_ROUNDS, r_p, rc, tuple(tuple(row) for row in mds))
