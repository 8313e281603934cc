"""L2 keys: derived from an Ethereum signature, registered on L1 in a form that proves them canonical.

Derivation
    A user's BabyJubJub private key is ``keccak256(sig)``, where ``sig`` is
    the user's EIP-191 ``personal_sign`` signature (65 bytes, r || s || v) of
    :func:`key_message`, a fixed text that names the chain and the rollup.
    Ethereum signatures are deterministic (RFC 6979), so any wallet that can
    ``personal_sign`` gives the same L2 key every time, and a key for one
    rollup is useless on another chain or another rollup.

Registration
    The circuit's EdDSA check multiplies the key by the cofactor 8, so a key
    with a small-order component would verify the same signatures as the key
    without it: two keys for one secret. An account is therefore bound at its
    first deposit to a *canonical* key, one in the prime-order subgroup, and
    L1 checks that cheaply: the depositor sends ``P = A / 8`` (``A`` times
    the inverse of 8 modulo the subgroup order l) and L1 computes ``A = 8 P``
    with three doublings. Every ``8 P`` lies in the subgroup (the curve's
    group has order 8 l); ``A.x != 0`` excludes the identity and the point of
    order two. So L1 never runs a 251-bit scalar multiplication.
"""

from __future__ import annotations

from primitives import secp256k1
from primitives.keccak import keccak256
from primitives.snark import babyjub, eddsa
from primitives.snark.babyjub import SUBORDER, Point

INV8 = pow(8, -1, SUBORDER)


def key_message(chain_id: int, rollup: str) -> str:
    """The text a user signs (personal_sign) to derive their L2 key for this rollup."""
    return (
        "l2lab zk-rollup: derive my L2 key\n"
        f"chain {chain_id}\n"
        f"rollup {secp256k1.to_checksum_address(rollup)}\n"
        "Sign this only on a site you trust: the signature is your L2 key."
    )


def personal_digest(text: str) -> bytes:
    """EIP-191 version 0x45: keccak256 of the prefixed message, as personal_sign signs it."""
    data = text.encode()
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)


def l2_key_from_signature(signature: bytes) -> bytes:
    """The 32-byte L2 private key a 65-byte personal_sign signature gives."""
    if not isinstance(signature, bytes | bytearray) or len(signature) != 65:
        raise ValueError("the key signature must be 65 bytes (r || s || v)")
    return keccak256(bytes(signature))


def derive_l2_key(eth_private_key: bytes, chain_id: int, rollup: str) -> bytes:
    """The L2 private key of an Ethereum key, for one rollup on one chain."""
    signature = secp256k1.sign(personal_digest(key_message(chain_id, rollup)), eth_private_key)
    return l2_key_from_signature(signature)


def public_key(l2_private_key: bytes) -> Point:
    """The canonical public key (in the prime-order subgroup) of an L2 private key."""
    return eddsa.prv_to_pub(l2_private_key)


def registration_point(key: Point) -> Point:
    """``P`` with ``8 P == key``: what a deposit to a new account sends L1."""
    check_canonical(key)
    return babyjub.mul(key, INV8)


def key_from_registration(p: Point) -> Point:
    """``8 P``, the key L1 binds an account to; ValueError if P is not on the curve or 8 P is degenerate."""
    if not babyjub.is_on_curve(p):
        raise ValueError("registration point is not on BabyJubJub")
    key = babyjub.double(babyjub.double(babyjub.double(p)))
    if key[0] == 0:
        raise ValueError("registration point has small order: 8 P is the identity or of order two")
    return key


def check_canonical(key: object) -> Point:
    """``key`` as a point of the prime-order subgroup, other than the identity; ValueError naming the problem."""
    if not (isinstance(key, tuple | list) and len(key) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                                   for v in key)):
        raise ValueError("an L2 public key is two integers (x, y)")
    point = (int(key[0]), int(key[1]))
    if not babyjub.is_on_curve(point):
        raise ValueError("L2 public key is not on BabyJubJub")
    if point[0] == 0:
        raise ValueError("L2 public key is the identity or the point of order two")
    if not babyjub.in_subgroup(point):
        raise ValueError("L2 public key is not in the prime-order subgroup (it has a small-order component)")
    return point
