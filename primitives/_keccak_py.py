"""keccak256 in pure Python: the readable twin of the compiled path.

Keccak-f[1600] as the Keccak reference describes it. The round constants come
from the degree-8 LFSR and the rotation offsets from the (x, y) lane walk, so
nothing here is a pasted table. Ethereum's keccak256 is Keccak[r=1088, c=512]
with the original ``0x01 ... 0x80`` padding (not SHA-3's ``0x06``).
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_RATE = 136  # bytes: 1600 - 2 * 256 bits


def _lfsr_bit(t: int) -> int:
    """rc(t) of the Keccak reference: output bit of x^8 + x^6 + x^5 + x^4 + 1."""
    r = 1
    for _ in range(t % 255):
        r <<= 1
        if r & 0x100:
            r ^= 0x171
    return r & 1


def _round_constants() -> list[int]:
    rcs = []
    for rnd in range(24):
        rc = 0
        for j in range(7):
            if _lfsr_bit(j + 7 * rnd):
                rc |= 1 << ((1 << j) - 1)
        rcs.append(rc)
    return rcs


def _rotation_offsets() -> list[list[int]]:
    rot = [[0] * 5 for _ in range(5)]
    x, y = 1, 0
    for t in range(24):
        rot[x][y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return rot


RC = _round_constants()
ROT = _rotation_offsets()


def _rotl(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _MASK if n else v


def keccak_f1600(lanes: list[int]) -> list[int]:
    """The permutation on 25 lanes indexed ``x + 5 * y``."""
    a = list(lanes)
    for rnd in range(24):
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotl(c[(x + 1) % 5], 1) for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rotl(a[x + 5 * y], ROT[x][y])
        a = [
            b[i] ^ ((~b[(i % 5 + 1) % 5 + 5 * (i // 5)]) & b[(i % 5 + 2) % 5 + 5 * (i // 5)])
            for i in range(25)
        ]
        a[0] ^= RC[rnd]
    return a


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak256 digest of ``data``."""
    data = bytes(data)
    padded = bytearray(data)
    pad_len = _RATE - (len(data) % _RATE)
    padded += b"\x00" * pad_len
    padded[len(data)] ^= 0x01
    padded[-1] ^= 0x80
    lanes = [0] * 25
    for off in range(0, len(padded), _RATE):
        block = padded[off : off + _RATE]
        for i in range(_RATE // 8):
            lanes[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        lanes = keccak_f1600(lanes)
    return b"".join(lanes[i].to_bytes(8, "little") for i in range(4))


def keccak256_many(items: list[bytes]) -> list[bytes]:
    """keccak256 of each item."""
    return [keccak256(x) for x in items]
