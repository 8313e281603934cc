"""EdDSA over BabyJubJub with Poseidon as the challenge hash, as circomlibjs signs and verifies.

Keys and nonces follow circomlibjs ``signPoseidon`` exactly, so signatures are
byte-for-byte the same and the circomlib ``EdDSAPoseidonVerifier`` circuit
accepts them:

- ``h = BLAKE-512(private_key)``; the low 32 bytes, pruned (clear bits 0-2 and
  255, set bit 254), are the little-endian scalar ``s``; ``A = (s >> 3) * B8``.
- ``r = BLAKE-512(h[32:64] || msg as 32 LE bytes) mod l``; ``R8 = r * B8``.
- ``hm = poseidon([R8x, R8y, Ax, Ay, msg])``; ``S = (r + hm * s) mod l``.
- Verification checks ``S * B8 == R8 + (8 * hm) * A``, the cofactor form.

Verification here is stricter than circomlibjs, which only checks that points
are on the curve: ``verify_poseidon`` also returns False when R8 or A lie outside
the prime-order subgroup or A is the identity (which would let anyone sign).
Anything malformed about the signature or key makes it return False; a message
that is not a field element is the caller's bug and raises ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass

from primitives.snark import babyjub
from primitives.snark.babyjub import BASE8, IDENTITY, SUBORDER, Point
from primitives.snark.blake512 import blake512
from primitives.snark.field import check_element
from primitives.snark.poseidon import poseidon


@dataclass(frozen=True)
class Signature:
    """An EdDSA-Poseidon signature: the nonce point R8 and the scalar S (< l)."""

    R8: Point
    S: int


def _check_private_key(private_key: object) -> bytes:
    if not isinstance(private_key, bytes | bytearray | memoryview):
        raise ValueError(f"private key must be bytes, got {type(private_key).__name__}")
    key = bytes(private_key)
    if not key:
        raise ValueError("private key must not be empty")
    return key


def _prune(digest: bytes) -> bytes:
    """The RFC 8032-style clamp circomlibjs applies to the key hash: multiple of 8, bit 254 set."""
    buf = bytearray(digest)
    buf[0] &= 0xF8
    buf[31] &= 0x7F
    buf[31] |= 0x40
    return bytes(buf)


def _expand(private_key: bytes) -> tuple[int, bytes]:
    """The secret scalar s and the 32-byte nonce prefix, both from one BLAKE-512 of the key."""
    h = _prune(blake512(_check_private_key(private_key)))
    return int.from_bytes(h[:32], "little"), h[32:]


def private_scalar(private_key: bytes) -> int:
    """The pruned secret scalar s; the public key is (s >> 3) * B8 = s * G."""
    return _expand(private_key)[0]


def prv_to_pub(private_key: bytes) -> Point:
    """The public key A = (s >> 3) * B8 of a private key (any non-empty byte string)."""
    s, _ = _expand(private_key)
    return babyjub.mul(BASE8, s >> 3)


def _challenge(r8: Point, a: Point, msg: int) -> int:
    return poseidon([r8[0], r8[1], a[0], a[1], msg])


def sign_poseidon(private_key: bytes, msg: int) -> Signature:
    """Sign a field element; deterministic, identical to circomlibjs ``signPoseidon``."""
    check_element(msg, "message")
    s, prefix = _expand(private_key)
    a = babyjub.mul(BASE8, s >> 3)
    r = int.from_bytes(blake512(prefix + msg.to_bytes(32, "little")), "little") % SUBORDER
    r8 = babyjub.mul(BASE8, r)
    hm = _challenge(r8, a, msg)
    return Signature(r8, (r + hm * s) % SUBORDER)


def verify_poseidon(msg: int, signature: Signature, public_key: Point) -> bool:
    """True iff ``signature`` is valid for ``msg`` under ``public_key`` (see the module notes)."""
    check_element(msg, "message")
    if not isinstance(signature, Signature):
        return False
    r8, s = signature.R8, signature.S
    if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < SUBORDER:
        return False
    if not babyjub.in_subgroup(r8) or not babyjub.in_subgroup(public_key):
        return False
    a: Point = (public_key[0], public_key[1])
    r8 = (r8[0], r8[1])
    if a == IDENTITY:
        return False
    seen = (msg, r8, s, a)
    if seen in _VERIFIED:
        return True
    hm = _challenge(r8, a, msg)
    left = babyjub.mul(BASE8, s)
    right = babyjub.add(r8, babyjub.mul(a, 8 * hm))
    if left != right:
        return False
    _VERIFIED[seen] = None
    if len(_VERIFIED) > _VERIFIED_MAX:
        del _VERIFIED[next(iter(_VERIFIED))]  # the oldest
    return True


# Signatures already found valid, by (message, R8, S, key): an operator re-checks its pending operations after
# every batch, and the same check of the same numbers always gives the same answer.
_VERIFIED: dict[tuple, None] = {}
_VERIFIED_MAX = 16_384


def pack_signature(signature: Signature) -> bytes:
    """circomlibjs' 64-byte form: packed R8, then S as 32 little-endian bytes."""
    if not 0 <= signature.S < SUBORDER:
        raise ValueError("signature S must be below the subgroup order")
    return babyjub.pack_point(signature.R8) + signature.S.to_bytes(32, "little")


def unpack_signature(data: bytes) -> Signature:
    """Parse ``pack_signature`` output; ValueError for a bad length, R8 encoding or S >= l."""
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) != 64:
        raise ValueError("a packed signature is exactly 64 bytes")
    data = bytes(data)
    r8 = babyjub.unpack_point(data[:32])
    s = int.from_bytes(data[32:], "little")
    if s >= SUBORDER:
        raise ValueError("signature S must be below the subgroup order")
    return Signature(r8, s)


__all__ = [
    "Signature", "pack_signature", "private_scalar", "prv_to_pub", "sign_poseidon",
    "unpack_signature", "verify_poseidon",
]
