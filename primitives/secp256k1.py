"""secp256k1 keys, signatures and addresses: compiled when built, pure Python otherwise.

Addresses cross every l2lab API boundary as EIP-55 checksummed ``0x…`` strings.
Signatures are 65 bytes ``r‖s‖v``; ``sign`` writes v ∈ {27, 28}, and recovery
accepts only v ∈ {27, 28} (as Ethereum's ecrecover precompile does) and rejects
high s (EIP-2), so each signed message has exactly one valid signature
encoding. Typed L1 transactions carry a y parity of 0 or 1 in their own field;
their decoder adds 27.

``recover_signers`` is the batch path of a rollup operator's mempool: the
compiled twin does the whole loop in C without the GIL, split over ``threads``
(default: ``L2LAB_SIG_THREADS``, else every core this process may use);
``sign_many`` is its signing twin, many digests under one key.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from primitives import _backend, _secp256k1_py
from primitives._secp256k1_py import InvalidSignature, N, checksum_hex
from primitives.keccak import keccak256

_impl, BACKEND = _backend.choose("secp256k1", _secp256k1_py, "primitives._secp256k1_c")

if TYPE_CHECKING:  # both twins share the pure twin's signatures
    from primitives._secp256k1_py import (
        private_key_to_public_key,
        recover,
        recover_addresses_raw,
        recover_signers,
        sign,
        sign_many,
    )
else:
    sign = _impl.sign
    sign_many = _impl.sign_many
    recover = _impl.recover
    recover_signers = _impl.recover_signers
    recover_addresses_raw = _impl.recover_addresses_raw
    private_key_to_public_key = _impl.private_key_to_public_key

SECP256K1_N = N
"""The order n of secp256k1's generator (SEC 2, section 2.4.1): private keys and
signature scalars r, s lie in [1, n-1], and EIP-2 low-s means s <= n // 2."""

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def generate_private_key() -> bytes:
    """A fresh 32-byte private key from the OS's secure random source, in [1, n-1]."""
    while True:
        key = secrets.token_bytes(32)
        if 0 < int.from_bytes(key, "big") < N:
            return key


def to_checksum_address(address: bytes | str) -> str:
    """The EIP-55 form of a 20-byte address or a ``0x`` hex string.

    All-lower and all-upper hex carry no checksum and are accepted; mixed case
    is a checksum, and a wrong one is rejected as the likely typo it is.
    """
    if isinstance(address, (bytes, bytearray, memoryview)):
        if len(address) != 20:
            raise ValueError(f"address must be 20 bytes, got {len(address)}")
        return checksum_hex(bytes(address))
    if not isinstance(address, str):
        raise TypeError(f"address must be bytes or str, got {type(address).__name__}")
    body = address[2:] if address[:2] in ("0x", "0X") else address
    if len(body) != 40 or not set(body) <= _HEX_DIGITS:
        raise ValueError(f"address must be 40 hex digits after 0x, got {address!r}")
    checksummed = checksum_hex(bytes.fromhex(body))
    if body != body.lower() and body != body.upper() and body != checksummed[2:]:
        raise ValueError(f"address {address!r} has a wrong EIP-55 checksum")
    return checksummed


def public_key_to_address(public_key: bytes) -> str:
    """The checksummed address of a 64-byte public key x‖y (a 0x04-prefixed 65 is accepted)."""
    if not isinstance(public_key, (bytes, bytearray, memoryview)):
        raise TypeError("public key must be bytes")
    public_key = bytes(public_key)
    if len(public_key) == 65 and public_key[0] == 4:
        public_key = public_key[1:]
    if len(public_key) != 64:
        raise ValueError(f"public key must be 64 bytes x||y, got {len(public_key)}")
    x = int.from_bytes(public_key[:32], "big")
    y = int.from_bytes(public_key[32:], "big")
    p = _secp256k1_py.P
    if x >= p or y >= p or (y * y - x * x * x - 7) % p != 0:
        raise ValueError("public key is not a point on secp256k1")
    return checksum_hex(keccak256(public_key)[12:])


def private_key_to_address(private_key: bytes) -> str:
    """The checksummed address that a private key signs for."""
    return public_key_to_address(private_key_to_public_key(private_key))


def verify(digest: bytes, signature: bytes, address: bytes | str) -> bool:
    """True when ``signature`` over ``digest`` recovers to ``address``.

    A well-formed signature by someone else gives False; a malformed one (bad
    length, v, r or s, high s, no recoverable key) raises InvalidSignature, so
    a caller cannot mistake garbage for a mere mismatch.
    """
    expected = to_checksum_address(address)
    return recover(digest, signature) == expected


__all__ = [
    "BACKEND",
    "InvalidSignature",
    "SECP256K1_N",
    "generate_private_key",
    "private_key_to_address",
    "private_key_to_public_key",
    "public_key_to_address",
    "recover",
    "recover_addresses_raw",
    "recover_signers",
    "sign",
    "sign_many",
    "to_checksum_address",
    "verify",
]
