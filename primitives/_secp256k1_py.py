"""secp256k1 ECDSA in pure Python: the readable twin of the compiled path.

Points live in Jacobian coordinates (X, Y, Z) standing for (X/Z², Y/Z³), so a
whole scalar multiplication needs a single field inversion at the end. Nonces
follow RFC 6979 with HMAC-SHA256, and signatures are normalised to low s
(EIP-2), so this twin and libsecp256k1 produce the same 65 bytes ``r‖s‖v``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator, Sequence

from primitives.keccak import keccak256

# Curve y² = x³ + 7 over F_P, generator G of prime order N (SEC 2, section 2.4.1).
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
HALF_N = N // 2  # EIP-2: s above this is the malleable twin of a valid signature

Jacobian = tuple[int, int, int]
_INFINITY: Jacobian = (1, 1, 0)  # Z = 0 marks the point at infinity
_G: Jacobian = (GX, GY, 1)


class InvalidSignature(ValueError):
    """A signature (or its digest) that no honest signer could have produced."""


# Error codes shared with the compiled twin, in the order the checks run.
OK, BAD_DIGEST, BAD_LENGTH, BAD_V, BAD_R, BAD_S, HIGH_S, NO_POINT = range(8)
ERROR_MESSAGES = {
    BAD_DIGEST: "digest must be 32 bytes",
    BAD_LENGTH: "signature must be 65 bytes r||s||v",
    BAD_V: "v must be 27 or 28",
    BAD_R: "r is zero or not below the curve order n",
    BAD_S: "s is zero or not below the curve order n",
    HIGH_S: "high s (s > n/2) is malleable and rejected (EIP-2)",
    NO_POINT: "signature does not recover to a public key",
}


def invalid(code: int, index: int | None = None) -> InvalidSignature:
    """The exception for an error code, naming the batch index when there is one."""
    where = f"signature {index}: " if index is not None else ""
    return InvalidSignature(where + ERROR_MESSAGES[code])


def resolve_threads(threads: int | None) -> int:
    """Thread count for batch recovery: the argument, else ``L2LAB_SIG_THREADS``, else the cores."""
    if threads is None:
        env = os.environ.get("L2LAB_SIG_THREADS", "").strip()
        if env:
            try:
                threads = int(env)
            except ValueError:
                raise ValueError(f"L2LAB_SIG_THREADS must be an integer, got {env!r}") from None
        else:
            threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
                os.cpu_count() or 1
            )
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    return threads


# --- field and group arithmetic ---------------------------------------------------------

def _double(p: Jacobian) -> Jacobian:
    """2P for a = 0 curves (dbl-2009-l)."""
    x, y, z = p
    if z == 0 or y == 0:
        return _INFINITY
    a = x * x % P
    b = y * y % P
    c = b * b % P
    d = 2 * ((x + b) ** 2 - a - c) % P
    e = 3 * a % P
    x3 = (e * e - 2 * d) % P
    y3 = (e * (d - x3) - 8 * c) % P
    z3 = 2 * y * z % P
    return (x3, y3, z3)


def _add(p: Jacobian, q: Jacobian) -> Jacobian:
    """P + Q in Jacobian coordinates (add-2007-bl), handling P = ±Q."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == 0:
        return q
    if z2 == 0:
        return p
    z1z1 = z1 * z1 % P
    z2z2 = z2 * z2 % P
    u1 = x1 * z2z2 % P
    u2 = x2 * z1z1 % P
    s1 = y1 * z2 * z2z2 % P
    s2 = y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(p) if s1 == s2 else _INFINITY
    h = u2 - u1
    i = (2 * h) ** 2 % P
    j = h * i % P
    r = 2 * (s2 - s1) % P
    v = u1 * i % P
    x3 = (r * r - j - 2 * v) % P
    y3 = (r * (v - x3) - 2 * s1 * j) % P
    z3 = ((z1 + z2) ** 2 - z1z1 - z2z2) * h % P
    return (x3, y3, z3)


def _multiply(p: Jacobian, k: int) -> Jacobian:
    """k·P by double-and-add from the top bit (k is public here or already fixed)."""
    result = _INFINITY
    for bit in bin(k)[2:] if k > 0 else "":
        result = _double(result)
        if bit == "1":
            result = _add(result, p)
    return result


def _multiply_two(p: Jacobian, a: int, q: Jacobian, b: int) -> Jacobian:
    """a·P + b·Q sharing one chain of doublings (Shamir's trick), as recovery needs."""
    both = _add(p, q)
    result = _INFINITY
    for i in range(max(a.bit_length(), b.bit_length()) - 1, -1, -1):
        result = _double(result)
        bit_a, bit_b = (a >> i) & 1, (b >> i) & 1
        if bit_a and bit_b:
            result = _add(result, both)
        elif bit_a:
            result = _add(result, p)
        elif bit_b:
            result = _add(result, q)
    return result


def _affine(p: Jacobian) -> tuple[int, int]:
    """(x, y) of a finite Jacobian point."""
    x, y, z = p
    zinv = pow(z, -1, P)
    zinv2 = zinv * zinv % P
    return x * zinv2 % P, y * zinv2 * zinv % P


# --- keys ------------------------------------------------------------------------------

def _secret_scalar(private_key: bytes) -> int:
    if not isinstance(private_key, (bytes, bytearray, memoryview)) or len(private_key) != 32:
        raise ValueError("private key must be 32 bytes")
    d = int.from_bytes(private_key, "big")
    if not 0 < d < N:
        raise ValueError("private key must be in [1, n-1]")
    return d


def private_key_to_public_key(private_key: bytes) -> bytes:
    """The 64-byte uncompressed public key x‖y (no 0x04 prefix) of a private key."""
    x, y = _affine(_multiply(_G, _secret_scalar(private_key)))
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")


def checksum_hex(raw_address: bytes) -> str:
    """EIP-55: a hex letter is upper case when its nibble of keccak(lower hex) is ≥ 8."""
    lower = raw_address.hex()
    digest = keccak256(lower.encode("ascii")).hex()
    # Upper-casing a digit is a no-op, so only the nibble needs testing.
    return "0x" + "".join([c.upper() if d in "89abcdef" else c for c, d in zip(lower, digest[:40], strict=True)])


def public_key_bytes_to_raw_address(public_key: bytes) -> bytes:
    """The 20-byte address: the last 20 bytes of keccak256(x‖y)."""
    return keccak256(public_key)[12:]


# --- signing ---------------------------------------------------------------------------

def _rfc6979_nonces(d: int, digest: bytes) -> Iterator[int]:
    """Candidate nonces k of RFC 6979 section 3.2 with HMAC-SHA256 and qlen = 256."""
    x = d.to_bytes(32, "big")
    h = (int.from_bytes(digest, "big") % N).to_bytes(32, "big")  # bits2octets
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, "big")
        if 0 < candidate < N:
            yield candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign(digest: bytes, private_key: bytes) -> bytes:
    """Deterministic low-s ECDSA signature ``r‖s‖v`` (v ∈ {27, 28}) of a 32-byte digest."""
    if not isinstance(digest, (bytes, bytearray, memoryview)) or len(digest) != 32:
        raise ValueError("digest must be 32 bytes")
    d = _secret_scalar(private_key)
    z = int.from_bytes(digest, "big") % N
    for k in _rfc6979_nonces(d, bytes(digest)):
        rx, ry = _affine(_multiply(_G, k))
        r = rx % N
        if r == 0:
            continue
        s = pow(k, -1, N) * (z + r * d) % N
        if s == 0:
            continue
        if rx >= N:  # recovery id 2 or 3: x overflowed n, probability about 2^-127
            raise RuntimeError("nonce point x exceeds n; not representable with v in {27, 28}")
        recid = ry & 1
        if s > HALF_N:  # negating s negates R, flipping the parity of its y
            s = N - s
            recid ^= 1
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recid])
    raise AssertionError("unreachable: the nonce generator is infinite")


def sign_many(digests: Sequence[bytes], private_key: bytes, *, threads: int | None = None) -> list[bytes]:
    """``sign(d, private_key)`` of every digest, in order; one bad digest refuses the whole batch, naming it."""
    resolve_threads(threads)  # validated for parity with the compiled twin; one thread here
    _secret_scalar(private_key)
    for i, digest in enumerate(digests):
        if not isinstance(digest, (bytes, bytearray, memoryview)) or len(digest) != 32:
            raise ValueError(f"digest {i} must be 32 bytes")
    return [sign(digest, private_key) for digest in digests]


# --- recovery --------------------------------------------------------------------------

def _is_bytes(value: object) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview))


def _recover_raw(digest: bytes, signature: bytes) -> tuple[int, bytes]:
    """(error code, 20-byte address); the address is empty unless the code is OK."""
    if not _is_bytes(digest) or len(digest) != 32:
        return BAD_DIGEST, b""
    if not _is_bytes(signature) or len(signature) != 65:
        return BAD_LENGTH, b""
    signature = bytes(signature)
    v = signature[64]
    if v not in (27, 28):  # one encoding per signature, as Ethereum's ecrecover precompile accepts
        return BAD_V, b""
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not 0 < r < N:
        return BAD_R, b""
    if not 0 < s < N:
        return BAD_S, b""
    if s > HALF_N:
        return HIGH_S, b""
    # R = (r, y) with y's parity from v; then Q = r⁻¹·(s·R − z·G).
    y_squared = (pow(r, 3, P) + 7) % P
    y = pow(y_squared, (P + 1) // 4, P)  # square root, as P ≡ 3 (mod 4)
    if y * y % P != y_squared:
        return NO_POINT, b""
    recid = v - 27  # 0: R has even y, 1: odd y
    if y & 1 != recid:
        y = P - y
    r_inv = pow(r, -1, N)
    z = int.from_bytes(digest, "big")
    q = _multiply_two(_G, (-z * r_inv) % N, (r, y, 1), s * r_inv % N)
    if q[2] == 0:
        return NO_POINT, b""
    qx, qy = _affine(q)
    return OK, public_key_bytes_to_raw_address(qx.to_bytes(32, "big") + qy.to_bytes(32, "big"))


def recover(digest: bytes, signature: bytes) -> str:
    """The checksummed address that signed ``digest``; InvalidSignature says why not."""
    code, raw = _recover_raw(digest, signature)
    if code != OK:
        raise invalid(code)
    return checksum_hex(raw)


def _check_batch(digests: Sequence[bytes], signatures: Sequence[bytes]) -> None:
    if len(digests) != len(signatures):
        raise ValueError(
            f"{len(digests)} digests but {len(signatures)} signatures: lengths must match"
        )


def recover_addresses_raw(
    digests: Sequence[bytes], signatures: Sequence[bytes], *, strict: bool = True,
    threads: int | None = None,
) -> list[bytes | None]:
    """20-byte signer of each pair; strict raises at the first bad one, else None there."""
    _check_batch(digests, signatures)
    resolve_threads(threads)  # validated for parity with the compiled twin; one thread here
    out: list[bytes | None] = []
    for i, (digest, signature) in enumerate(zip(digests, signatures, strict=True)):
        code, raw = _recover_raw(digest, signature)
        if code != OK:
            if strict:
                raise invalid(code, i)
            out.append(None)
        else:
            out.append(raw)
    return out


def recover_signers(
    digests: Sequence[bytes], signatures: Sequence[bytes], *, strict: bool = True,
    threads: int | None = None,
) -> list[str | None]:
    """Checksummed signer of each pair; strict raises at the first bad one, else None there."""
    raws = recover_addresses_raw(digests, signatures, strict=strict, threads=threads)
    return [None if raw is None else checksum_hex(raw) for raw in raws]
