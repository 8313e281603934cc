"""BLAKE-512, the SHA-3 finalist (16 rounds; not BLAKE2), which circomlib's EdDSA keys use.

Python's hashlib has only BLAKE2, so this is the original construction from
the BLAKE submission (Aumasson et al., v1.3): a HAIFA-mode compression of
1024-bit blocks with a 128-bit bit counter, salt fixed to zero. The IV is
SHA-512's (fractional bits of the square roots of the first 8 primes) and the
constants are the first 1024 fractional bits of pi; both are derived below.
"""

from __future__ import annotations

from math import isqrt

_MASK = (1 << 64) - 1
_ROUNDS = 16
BLOCK_SIZE = 128
DIGEST_SIZE = 64

# The ten message permutations sigma_0..sigma_9 of the BLAKE specification.
_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)


def _arctan_inv(x: int, one: int) -> int:
    """arctan(1/x) scaled by ``one``, from its alternating Taylor series."""
    total = term = one // x
    x2, n, sign = x * x, 3, -1
    while term:
        term //= x2
        total += sign * (term // n)
        n, sign = n + 2, -sign
    return total


def _pi_words(count: int) -> tuple[int, ...]:
    """The first ``count`` 64-bit words of pi's fractional part (Machin's formula)."""
    guard = 64
    one = 1 << (64 * count + guard)
    pi = 16 * _arctan_inv(5, one) - 4 * _arctan_inv(239, one)
    frac = (pi >> guard) & ((1 << (64 * count)) - 1)
    return tuple((frac >> (64 * (count - 1 - i))) & _MASK for i in range(count))


def _sqrt_prime_words() -> tuple[int, ...]:
    """First 64 fractional bits of sqrt(p) for the first 8 primes: SHA-512's (and BLAKE-512's) IV."""
    return tuple(isqrt(p << 128) & _MASK for p in (2, 3, 5, 7, 11, 13, 17, 19))


_IV = _sqrt_prime_words()
_C = _pi_words(16)


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (64 - n))) & _MASK


def _compress(h: list[int], block: bytes, counter: int) -> None:
    """Fold one 128-byte block into chain value ``h`` in place; ``counter`` is in message bits."""
    m = [int.from_bytes(block[i:i + 8], "big") for i in range(0, BLOCK_SIZE, 8)]
    c = _C
    t0, t1 = counter & _MASK, (counter >> 64) & _MASK
    v = h[:] + [c[0], c[1], c[2], c[3], t0 ^ c[4], t0 ^ c[5], t1 ^ c[6], t1 ^ c[7]]
    for r in range(_ROUNDS):
        s = _SIGMA[r % 10]
        # Four column steps then four diagonal steps, G_0..G_7.
        for i, (a, b, cc, d) in enumerate((
            (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
            (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14),
        )):
            j, k = s[2 * i], s[2 * i + 1]
            va = (v[a] + v[b] + (m[j] ^ c[k])) & _MASK
            vd = _rotr(v[d] ^ va, 32)
            vc = (v[cc] + vd) & _MASK
            vb = _rotr(v[b] ^ vc, 25)
            va = (va + vb + (m[k] ^ c[j])) & _MASK
            vd = _rotr(vd ^ va, 16)
            vc = (vc + vd) & _MASK
            vb = _rotr(vb ^ vc, 11)
            v[a], v[b], v[cc], v[d] = va, vb, vc, vd
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]  # salt is zero, so it drops out of the finalisation


def blake512(data: bytes | bytearray | memoryview) -> bytes:
    """The 64-byte BLAKE-512 digest of ``data``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"blake512 hashes bytes, got {type(data).__name__}")
    msg = bytes(data)
    bits = 8 * len(msg)
    # Pad to 895 mod 1024 bits with 1 0...0 1, then the 128-bit big-endian length.
    pad_len = (111 - len(msg)) % BLOCK_SIZE + 1  # bytes of padding before the length
    if pad_len == 1:
        padding = b"\x81"
    else:
        padding = b"\x80" + b"\x00" * (pad_len - 2) + b"\x01"
    padded = msg + padding + bits.to_bytes(16, "big")
    h = list(_IV)
    for off in range(0, len(padded), BLOCK_SIZE):
        # The counter is the message bits up to this block's end; a block of pure padding gets 0.
        counter = min(8 * (off + BLOCK_SIZE), bits) if 8 * off < bits else 0
        _compress(h, padded[off:off + BLOCK_SIZE], counter)
    return b"".join(x.to_bytes(8, "big") for x in h)


__all__ = ["blake512", "BLOCK_SIZE", "DIGEST_SIZE"]
