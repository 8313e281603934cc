# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""secp256k1 ECDSA, compiled: libsecp256k1 (as shipped inside coincurve) called from C.

coincurve bundles libsecp256k1 as a cffi extension. cffi hands out the address
of each C function, which is cast here to a C function pointer, so the batch
loop (parse, range checks, recover, serialise, keccak, EIP-55) runs in C with
the GIL released, split over threads. libsecp256k1 contexts are read-only for
signing and recovery, so one context serves every thread.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from coincurve._libsecp256k1 import ffi as _ffi
from coincurve._libsecp256k1 import lib as _lib

from primitives._secp256k1_py import (
    BAD_DIGEST,
    BAD_LENGTH,
    InvalidSignature,
    invalid,
    resolve_threads,
)

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, memset


cdef extern from "keccak.h":
    void l2lab_keccak256(const uint8_t *data, size_t length, uint8_t *out) nogil


# libsecp256k1's opaque types (include/secp256k1.h, secp256k1_recovery.h): plain byte blobs.
ctypedef struct secp_pubkey:
    unsigned char data[64]

ctypedef struct secp_rsig:
    unsigned char data[65]

ctypedef int (*parse_compact_t)(const void *ctx, secp_rsig *sig, const unsigned char *in64,
                                int recid) noexcept nogil
ctypedef int (*recover_t)(const void *ctx, secp_pubkey *pubkey, const secp_rsig *sig,
                          const unsigned char *msg32) noexcept nogil
ctypedef int (*pubkey_serialize_t)(const void *ctx, unsigned char *out, size_t *outlen,
                                   const secp_pubkey *pubkey, unsigned int flags) noexcept nogil
ctypedef int (*sign_recoverable_t)(const void *ctx, secp_rsig *sig, const unsigned char *msg32,
                                   const unsigned char *seckey, const void *noncefp,
                                   const void *ndata) noexcept nogil
ctypedef int (*serialize_compact_t)(const void *ctx, unsigned char *out64, int *recid,
                                    const secp_rsig *sig) noexcept nogil
ctypedef int (*pubkey_create_t)(const void *ctx, secp_pubkey *pubkey,
                                const unsigned char *seckey) noexcept nogil


def _address_of(name):
    return int(_ffi.cast("uintptr_t", _ffi.addressof(_lib, name)))


cdef parse_compact_t _parse_compact = <parse_compact_t><uintptr_t>_address_of(
    "secp256k1_ecdsa_recoverable_signature_parse_compact")
cdef recover_t _recover = <recover_t><uintptr_t>_address_of("secp256k1_ecdsa_recover")
cdef pubkey_serialize_t _pubkey_serialize = <pubkey_serialize_t><uintptr_t>_address_of(
    "secp256k1_ec_pubkey_serialize")
cdef sign_recoverable_t _sign_recoverable = <sign_recoverable_t><uintptr_t>_address_of(
    "secp256k1_ecdsa_sign_recoverable")
cdef serialize_compact_t _serialize_compact = <serialize_compact_t><uintptr_t>_address_of(
    "secp256k1_ecdsa_recoverable_signature_serialize_compact")
cdef pubkey_create_t _pubkey_create = <pubkey_create_t><uintptr_t>_address_of(
    "secp256k1_ec_pubkey_create")
cdef unsigned int _EC_UNCOMPRESSED = _lib.SECP256K1_EC_UNCOMPRESSED

# Our own context, randomised once (blinding for key operations) and never destroyed.
_CONTEXT = _lib.secp256k1_context_create(_lib.SECP256K1_CONTEXT_NONE)
if _CONTEXT == _ffi.NULL or not _lib.secp256k1_context_randomize(
        _CONTEXT, _ffi.new("unsigned char[32]", os.urandom(32))):
    raise ImportError("libsecp256k1 context could not be created")
cdef const void *_ctx = <const void *><uintptr_t>int(_ffi.cast("uintptr_t", _CONTEXT))

# Big-endian n and n/2 (SEC 2), compared bytewise against r and s.
cdef uint8_t _N[32]
cdef uint8_t _HALF_N[32]
memcpy(_N, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe"
           b"\xba\xae\xdc\xe6\xaf\x48\xa0\x3b\xbf\xd2\x5e\x8c\xd0\x36\x41\x41", 32)
memcpy(_HALF_N, b"\x7f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                b"\x5d\x57\x6e\x73\x57\xa4\x50\x1d\xdf\xe9\x2f\x46\x68\x1b\x20\xa0", 32)
cdef uint8_t _ZERO[32]
memset(_ZERO, 0, 32)

# Error codes, equal to the pure twin's.
cdef enum:
    C_OK = 0
    C_BAD_DIGEST = 1
    C_BAD_LENGTH = 2
    C_BAD_V = 3
    C_BAD_R = 4
    C_BAD_S = 5
    C_HIGH_S = 6
    C_NO_POINT = 7

# Below this many signatures per thread, handing work to another thread costs more than it saves.
cdef Py_ssize_t _MIN_PER_THREAD = 16

cdef const char *_HEX = b"0123456789abcdef"


cdef inline bint _scalar_ok(const uint8_t *x) noexcept nogil:
    """0 < x < n for a big-endian 32-byte scalar."""
    return memcmp(x, _ZERO, 32) != 0 and memcmp(x, _N, 32) < 0


cdef int _recover_one(const uint8_t *digest, const uint8_t *sig, uint8_t *address) noexcept nogil:
    """Check and recover one signature; writes the 20-byte address and returns an error code."""
    cdef int v = sig[64]
    cdef secp_rsig rsig
    cdef secp_pubkey pub
    cdef uint8_t point[65]
    cdef uint8_t h[32]
    cdef size_t point_len = 65
    if v != 27 and v != 28:  # one encoding per signature, as Ethereum's ecrecover precompile accepts
        return C_BAD_V
    v -= 27
    if not _scalar_ok(sig):
        return C_BAD_R
    if not _scalar_ok(sig + 32):
        return C_BAD_S
    if memcmp(sig + 32, _HALF_N, 32) > 0:
        return C_HIGH_S
    if not _parse_compact(_ctx, &rsig, sig, v):
        return C_BAD_S
    if not _recover(_ctx, &pub, &rsig, digest):
        return C_NO_POINT
    _pubkey_serialize(_ctx, point, &point_len, &pub, _EC_UNCOMPRESSED)
    l2lab_keccak256(point + 1, 64, h)
    memcpy(address, h + 12, 20)
    return C_OK


cdef void _checksum(const uint8_t *address, char *out42) noexcept nogil:
    """EIP-55 ``0x…``: a letter is upper case when its nibble of keccak(lower hex) is ≥ 8."""
    cdef uint8_t h[32]
    cdef int i, nibble
    cdef char c
    out42[0] = b'0'
    out42[1] = b'x'
    for i in range(20):
        out42[2 + 2 * i] = _HEX[address[i] >> 4]
        out42[3 + 2 * i] = _HEX[address[i] & 15]
    l2lab_keccak256(<const uint8_t *>(out42 + 2), 40, h)
    for i in range(40):
        c = out42[2 + i]
        nibble = (h[i >> 1] >> 4) if (i & 1) == 0 else (h[i >> 1] & 15)
        if c >= b'a' and nibble >= 8:
            out42[2 + i] = c - 32


cdef void _recover_range(const uint8_t *digests, const uint8_t *sigs, uint8_t *codes,
                         uint8_t *addresses, char *hexes, Py_ssize_t start,
                         Py_ssize_t end) noexcept nogil:
    """Recover items [start, end); items whose code is already set are skipped."""
    cdef Py_ssize_t i
    for i in range(start, end):
        if codes[i] != C_OK:
            continue
        codes[i] = _recover_one(digests + 32 * i, sigs + 65 * i, addresses + 20 * i)
        if codes[i] == C_OK and hexes != NULL:
            _checksum(addresses + 20 * i, hexes + 42 * i)


_pools = {}
# A forked child inherits the pools but not their threads: start afresh there.
os.register_at_fork(after_in_child=_pools.clear)


def _pool(Py_ssize_t workers):
    """A long-lived pool per worker count, so a batch does not pay for starting threads."""
    pool = _pools.get(workers)
    if pool is None:
        pool = _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="l2lab-ecrecover")
    return pool


def _run_sliced(slice_fn, Py_ssize_t n, Py_ssize_t threads):
    """``slice_fn(lo, hi)`` over [0, n) in up to ``threads`` parts, the caller taking the first and pool
    threads the rest; the bound method keeps its batch (and so its buffers) alive until its slice is done."""
    cdef Py_ssize_t parts = threads
    cdef Py_ssize_t k
    if parts > n // _MIN_PER_THREAD:
        parts = max(1, n // _MIN_PER_THREAD)
    if parts == 1:
        slice_fn(0, n)
        return
    pool = _pool(parts - 1)
    futures = [pool.submit(slice_fn, n * k // parts, n * (k + 1) // parts) for k in range(1, parts)]
    slice_fn(0, n // parts)
    for f in futures:
        f.result()


cdef int _copy_item(object item, Py_ssize_t size, uint8_t *dest) except -1:
    """Copy a bytes-like item of exactly ``size`` bytes into ``dest``; 0 when it has another size."""
    cdef const uint8_t[::1] view
    if type(item) is bytes:
        if PyBytes_GET_SIZE(item) != size:
            return 0
        memcpy(dest, PyBytes_AS_STRING(item), size)
        return 1
    if not isinstance(item, (bytearray, memoryview)):
        return 0
    view = memoryview(item).cast("B")
    if view.shape[0] != size:
        return 0
    memcpy(dest, &view[0], size)
    return 1


cdef class _Batch:
    """Contiguous C buffers for one batch: inputs, per-item error codes and outputs."""

    cdef Py_ssize_t n
    cdef uint8_t *digests
    cdef uint8_t *sigs
    cdef uint8_t *codes
    cdef uint8_t *addresses
    cdef char *hexes

    def __cinit__(self, Py_ssize_t n, bint want_hex):
        self.n = n
        cdef Py_ssize_t m = n if n > 0 else 1
        self.digests = <uint8_t *>malloc(32 * m)
        self.sigs = <uint8_t *>malloc(65 * m)
        self.codes = <uint8_t *>malloc(m)
        self.addresses = <uint8_t *>malloc(20 * m)
        self.hexes = <char *>malloc(42 * m) if want_hex else NULL
        if (not self.digests or not self.sigs or not self.codes or not self.addresses
                or (want_hex and not self.hexes)):
            raise MemoryError()

    def __dealloc__(self):
        free(self.digests)
        free(self.sigs)
        free(self.codes)
        free(self.addresses)
        free(self.hexes)

    cdef fill(self, digests, signatures):
        """Copy the inputs in, marking items of the wrong size or type with their error code."""
        cdef Py_ssize_t i
        for i in range(self.n):
            self.codes[i] = C_OK
            if not _copy_item(digests[i], 32, self.digests + 32 * i):
                self.codes[i] = C_BAD_DIGEST
            elif not _copy_item(signatures[i], 65, self.sigs + 65 * i):
                self.codes[i] = C_BAD_LENGTH

    cdef run(self, Py_ssize_t threads):
        """Recover every item, the main thread taking the first slice and workers the rest."""
        _run_sliced(self._slice, self.n, threads)

    def _slice(self, Py_ssize_t lo, Py_ssize_t hi):
        """Recover items [lo, hi) with the GIL released; runs on the caller or a pool thread."""
        with nogil:
            _recover_range(self.digests, self.sigs, self.codes, self.addresses, self.hexes, lo, hi)


def _check_lengths(digests, signatures):
    if len(digests) != len(signatures):
        raise ValueError(
            f"{len(digests)} digests but {len(signatures)} signatures: lengths must match")


def _run_batch(digests, signatures, bint strict, threads, bint want_hex):
    _check_lengths(digests, signatures)
    cdef Py_ssize_t nthreads = resolve_threads(threads)
    cdef _Batch batch = _Batch(len(digests), want_hex)
    cdef Py_ssize_t i
    batch.fill(digests, signatures)
    batch.run(nthreads)
    if strict:
        for i in range(batch.n):
            if batch.codes[i] != C_OK:
                raise invalid(batch.codes[i], i)
    return batch


def recover_signers(digests, signatures, *, bint strict=True, threads=None):
    """Checksummed signer of each pair; strict raises at the first bad one, else None there."""
    cdef _Batch batch = _run_batch(digests, signatures, strict, threads, True)
    cdef list out = []
    cdef Py_ssize_t i
    for i in range(batch.n):
        if batch.codes[i] == C_OK:
            out.append(batch.hexes[42 * i: 42 * i + 42].decode("ascii"))
        else:
            out.append(None)
    return out


def recover_addresses_raw(digests, signatures, *, bint strict=True, threads=None):
    """20-byte signer of each pair; strict raises at the first bad one, else None there."""
    cdef _Batch batch = _run_batch(digests, signatures, strict, threads, False)
    cdef list out = []
    cdef Py_ssize_t i
    for i in range(batch.n):
        if batch.codes[i] == C_OK:
            out.append(PyBytes_FromStringAndSize(<char *>batch.addresses + 20 * i, 20))
        else:
            out.append(None)
    return out


def recover(digest, signature) -> str:
    """The checksummed address that signed ``digest``; InvalidSignature says why not."""
    cdef uint8_t d[32]
    cdef uint8_t s[65]
    cdef uint8_t address[20]
    cdef char hexed[42]
    cdef int code
    if not _copy_item(digest, 32, d):
        raise invalid(BAD_DIGEST)
    if not _copy_item(signature, 65, s):
        raise invalid(BAD_LENGTH)
    code = _recover_one(d, s, address)
    if code != C_OK:
        raise invalid(code)
    _checksum(address, hexed)
    return hexed[:42].decode("ascii")


cdef int _secret_key(object private_key, uint8_t *out) except -1:
    if not _copy_item(private_key, 32, out):
        raise ValueError("private key must be 32 bytes")
    if not _scalar_ok(out):
        raise ValueError("private key must be in [1, n-1]")
    return 0


def sign(digest, private_key) -> bytes:
    """Deterministic (RFC 6979) low-s ECDSA signature ``r‖s‖v`` with v ∈ {27, 28}."""
    cdef uint8_t d[32]
    cdef uint8_t key[32]
    cdef uint8_t out[65]
    cdef secp_rsig rsig
    cdef int recid = 0
    if not _copy_item(digest, 32, d):
        raise ValueError("digest must be 32 bytes")
    _secret_key(private_key, key)
    # A NULL nonce function selects libsecp256k1's RFC 6979; it always returns low s.
    if not _sign_recoverable(_ctx, &rsig, d, key, NULL, NULL):
        raise ValueError("signing failed")
    _serialize_compact(_ctx, out, &recid, &rsig)
    memset(key, 0, 32)
    if recid > 1:  # x of the nonce point overflowed n, probability about 2^-127
        raise RuntimeError("nonce point x exceeds n; not representable with v in {27, 28}")
    out[64] = 27 + recid
    return out[:65]


cdef class _SignBatch:
    """Digests in, signatures out, for one key: signed in C with the GIL released, split over threads."""

    cdef Py_ssize_t n
    cdef uint8_t *digests
    cdef uint8_t *sigs
    cdef uint8_t *ok
    cdef uint8_t key[32]

    def __cinit__(self, Py_ssize_t n):
        self.n = n
        cdef Py_ssize_t m = n if n > 0 else 1
        self.digests = <uint8_t *>malloc(32 * m)
        self.sigs = <uint8_t *>malloc(65 * m)
        self.ok = <uint8_t *>malloc(m)
        if not self.digests or not self.sigs or not self.ok:
            raise MemoryError()

    def __dealloc__(self):
        memset(self.key, 0, 32)
        free(self.digests)
        free(self.sigs)
        free(self.ok)

    def _slice(self, Py_ssize_t lo, Py_ssize_t hi):
        cdef Py_ssize_t i
        cdef secp_rsig rsig
        cdef int recid
        with nogil:
            for i in range(lo, hi):
                recid = 0
                self.ok[i] = 0
                if not _sign_recoverable(_ctx, &rsig, self.digests + 32 * i, self.key, NULL, NULL):
                    continue
                _serialize_compact(_ctx, self.sigs + 65 * i, &recid, &rsig)
                if recid > 1:
                    continue
                self.sigs[65 * i + 64] = 27 + recid
                self.ok[i] = 1

    cdef run(self, Py_ssize_t threads):
        _run_sliced(self._slice, self.n, threads)


def sign_many(digests, private_key, *, threads=None) -> list:
    """``sign(d, private_key)`` of every digest, in order, signed in C without the GIL and split over
    ``threads``; one bad digest refuses the whole batch, naming it."""
    cdef Py_ssize_t nthreads = resolve_threads(threads)
    cdef _SignBatch batch = _SignBatch(len(digests))
    cdef Py_ssize_t i
    _secret_key(private_key, batch.key)
    for i in range(batch.n):
        if not _copy_item(digests[i], 32, batch.digests + 32 * i):
            raise ValueError(f"digest {i} must be 32 bytes")
    batch.run(nthreads)
    cdef list out = []
    for i in range(batch.n):
        if not batch.ok[i]:  # x of the nonce point overflowed n, probability about 2^-127
            raise RuntimeError(f"signature {i}: nonce point x exceeds n; not representable with v in {{27, 28}}")
        out.append(PyBytes_FromStringAndSize(<char *>batch.sigs + 65 * i, 65))
    return out


def private_key_to_public_key(private_key) -> bytes:
    """The 64-byte uncompressed public key x‖y (no 0x04 prefix) of a private key."""
    cdef uint8_t key[32]
    cdef secp_pubkey pub
    cdef uint8_t point[65]
    cdef size_t point_len = 65
    _secret_key(private_key, key)
    if not _pubkey_create(_ctx, &pub, key):
        raise ValueError("private key must be in [1, n-1]")
    memset(key, 0, 32)
    _pubkey_serialize(_ctx, point, &point_len, &pub, _EC_UNCOMPRESSED)
    return (<char *>point)[1:65]


__all__ = [
    "InvalidSignature",
    "private_key_to_public_key",
    "recover",
    "recover_addresses_raw",
    "recover_signers",
    "sign",
    "sign_many",
]
