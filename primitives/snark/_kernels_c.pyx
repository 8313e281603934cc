# cython: boundscheck=False, wraparound=False
"""BN254 prover kernels, compiled: the C in _native/bn254_kernels.h behind a thin wrapper.

Same names and results as ``_kernels_py``. Python ints are written straight
into little-endian byte buffers, the C runs without the GIL on a few threads,
and the results are read back once; bad input is named with the pure twin's
own checks, so both twins raise the same messages.
"""

import os

from cpython.bytearray cimport PyByteArray_AS_STRING
from libc.stddef cimport size_t
from libc.stdint cimport uint8_t, uint32_t

from primitives.snark import _kernels_py as _py
from primitives.snark._kernels_py import (
    ENCODINGS,
    FrWords,
    G1Points,
    G2Points,
    PointError,
    G1_INFINITY,
    G2_INFINITY,
    Q,
    R,
    check_omega,
    check_shift,
    root_of_unity,
)


cdef extern from "_native/bn254_pyint.h":
    int l2_int_to_le32(object v, uint8_t *out) except -1
    object l2_int_from_le32(const uint8_t *data)


cdef extern from "_native/bn254_kernels.h" nogil:
    int L2_OK
    int L2_NOT_CANONICAL
    int L2_NOT_ON_CURVE
    int L2_OUT_OF_RANGE
    int L2_NO_MEMORY
    int l2_g1_msm(uint8_t *out, const uint8_t *points, const uint8_t *scalars, size_t n,
                  int nthreads, int batch_affine, size_t *bad)
    int l2_g2_msm(uint8_t *out, const uint8_t *points, const uint8_t *scalars, size_t n,
                  int nthreads, int batch_affine, size_t *bad)
    int l2_g1_batch_mul(uint8_t *out, const uint8_t *base, const uint8_t *scalars, size_t n,
                        int nthreads)
    int l2_g2_batch_mul(uint8_t *out, const uint8_t *base, const uint8_t *scalars, size_t n,
                        int nthreads)
    int l2_fr_fft(uint8_t *values, size_t n, const uint8_t *omega, const uint8_t *scale,
                  const uint8_t *pre, const uint8_t *post, int nthreads)
    int l2_points_decode(uint8_t *raw, size_t n, int words, int enc, size_t *bad)
    void l2_coords_encode(uint8_t *raw, size_t count, int enc)
    int l2_fr_rows(uint8_t *out, size_t n, const uint32_t *row, const uint32_t *sig,
                   const uint32_t *id, size_t count, const uint8_t *table, size_t nt,
                   const uint8_t *w, size_t nw)
    void l2_fr_mul_sub(uint8_t *out, const uint8_t *a, const uint8_t *b, const uint8_t *c,
                       const uint8_t *k, size_t n)


# Both cores of a small machine; more threads than cores only adds overhead.
THREADS = max(1, min(8, os.cpu_count() or 1))
# From this many points the MSM accumulates buckets in batch-affine form; below
# it the shared inversions cost more than they save. Tests lower it to 0.
BATCH_AFFINE_MIN = 1024

__all__ = [
    "BATCH_AFFINE_MIN", "ENCODINGS", "FrWords", "G1Points", "G2Points", "G1_INFINITY", "G2_INFINITY",
    "PointError", "Q", "R", "THREADS",
    "batch_mul_g1", "batch_mul_g2", "decode_g1", "decode_g2", "encode_points", "fft", "fft_words",
    "fr_mul_sub", "fr_rows", "ifft", "msm_g1", "msm_g2", "root_of_unity",
]


cdef inline uint8_t *_buf(bytearray b):
    return <uint8_t *>PyByteArray_AS_STRING(b)


cdef bytearray _pack_scalars(scalars):
    """Scalars as 32-byte little-endian words; the C reduces them mod R.

    Plain ints in [0, 2^256) go straight in; others are reduced here first,
    and anything that is not an int is named by the pure twin's check.
    """
    cdef Py_ssize_t i, n = len(scalars)
    cdef bytearray buf = bytearray(32 * n)
    cdef uint8_t *b = _buf(buf)
    for i in range(n):
        s = scalars[i]
        if type(s) is not int:
            s = _py.check_scalar(s, i)
        try:
            l2_int_to_le32(s, b + 32 * i)
        except OverflowError:  # negative or >= 2^256
            l2_int_to_le32(s % R, b + 32 * i)
    return buf


cdef bytearray _pack_points(points, int words, check, str name):
    """Each point's coordinates as `words` 32-byte words (2 for G1, 4 for G2).

    Shapes and types are checked here; ranges and curve membership in C. A
    point that does not fit is named by the pure twin's check.
    """
    cdef Py_ssize_t i, n = len(points)
    cdef bytearray buf = bytearray(32 * words * n)
    cdef uint8_t *b = _buf(buf)
    cdef uint8_t *o
    for i in range(n):
        p = points[i]
        o = b + 32 * words * i
        try:
            if words == 2:
                x, y = p
                if type(x) is not int or type(y) is not int:
                    raise TypeError
                l2_int_to_le32(x, o)
                l2_int_to_le32(y, o + 32)
            else:
                (x0, x1), (y0, y1) = p
                if (type(x0) is not int or type(x1) is not int or type(y0) is not int
                        or type(y1) is not int):
                    raise TypeError
                l2_int_to_le32(x0, o)
                l2_int_to_le32(x1, o + 32)
                l2_int_to_le32(y0, o + 64)
                l2_int_to_le32(y1, o + 96)
        except (TypeError, ValueError, OverflowError):
            check(p, f"{name} point {i}")
            raise ValueError(f"{name} point {i} is malformed: {p!r}") from None
    return buf


cdef list _unpack(bytearray buf, Py_ssize_t count):
    """count 32-byte little-endian words back into ints."""
    cdef Py_ssize_t i
    cdef const uint8_t *b = _buf(buf)
    return [l2_int_from_le32(b + 32 * i) for i in range(count)]


cdef _raise_bad_point(int rc, points, size_t bad, check, str name):
    """Name the bad point with the pure twin's check, which knows why it is bad."""
    if rc == L2_NO_MEMORY:
        raise MemoryError(f"{name}: out of memory")
    check(points[bad], f"{name} point {bad}")
    raise ValueError(f"{name} point {bad} is invalid: {points[bad]!r}")


ctypedef int (*msm_fn)(uint8_t *, const uint8_t *, const uint8_t *, size_t, int, int, size_t *) noexcept nogil
ctypedef int (*batch_fn)(uint8_t *, const uint8_t *, const uint8_t *, size_t, int) noexcept nogil


cdef list _msm(points, scalars, int words, check, str name, msm_fn kernel):
    """The coordinates of sum scalars[i] * points[i], one C call for either group."""
    _py.check_lengths(points, scalars)
    # Packed points and scalars go to the C as they are; others are packed here.
    cdef const uint8_t[::1] pview
    cdef const uint8_t[::1] sview
    if isinstance(points, _py._Points) and (<object>points).WORDS == words:
        pview = points.buf
    else:
        pview = _pack_points(points, words, check, name)
    if isinstance(scalars, FrWords):
        sview = scalars.buf
    else:
        sview = _pack_scalars(scalars)
    cdef bytearray out = bytearray(32 * words)
    cdef size_t n = len(points)
    cdef size_t bad = 0
    cdef uint8_t *o = _buf(out)
    cdef const uint8_t *pp = &pview[0] if n else <const uint8_t *>o
    cdef const uint8_t *sp = &sview[0] if n else <const uint8_t *>o
    cdef int threads = THREADS
    cdef int ba = n >= BATCH_AFFINE_MIN
    cdef int rc
    with nogil:
        rc = kernel(o, pp, sp, n, threads, ba, &bad)
    if rc != L2_OK:
        _raise_bad_point(rc, points, bad, check, name)
    return _unpack(out, words)


cdef bytearray _batch_mul(point, scalars, int words, check, str name, batch_fn kernel):
    """The coordinates of s * point for each s, back to back, one C call for either group."""
    cdef bytearray pbuf = _pack_points([point], words, check, name)
    cdef bytearray sbuf = bytearray(scalars.buf) if isinstance(scalars, FrWords) else _pack_scalars(scalars)
    cdef size_t n = len(sbuf) // 32
    cdef bytearray out = bytearray(32 * words * n)
    cdef uint8_t *o = _buf(out)
    cdef uint8_t *pp = _buf(pbuf)
    cdef uint8_t *sp = _buf(sbuf)
    cdef int threads = THREADS
    cdef int rc
    with nogil:
        rc = kernel(o, pp, sp, n, threads)
    if rc != L2_OK:
        _raise_bad_point(rc, [point], 0, check, name)
    return out


def msm_g1(points, scalars):
    """sum scalars[i] * points[i] on G1 (scalars taken mod R)."""
    x, y = _msm(points, scalars, 2, _py.check_g1, "G1", l2_g1_msm)
    return (x, y)


def msm_g2(points, scalars):
    """sum scalars[i] * points[i] on G2 (scalars taken mod R)."""
    x0, x1, y0, y1 = _msm(points, scalars, 4, _py.check_g2, "G2", l2_g2_msm)
    return ((x0, x1), (y0, y1))


def batch_mul_g1(point, scalars, packed=False):
    """[s * point for s in scalars] on G1, sharing one window table; ``packed``: as G1Points."""
    buf = _batch_mul(point, scalars, 2, _py.check_g1, "G1 base", l2_g1_batch_mul)
    if packed:
        return G1Points(buf)
    v = _unpack(buf, len(buf) // 32)
    return list(zip(v[0::2], v[1::2]))


def batch_mul_g2(point, scalars, packed=False):
    """[s * point for s in scalars] on G2, sharing one window table; ``packed``: as G2Points."""
    buf = _batch_mul(point, scalars, 4, _py.check_g2, "G2 base", l2_g2_batch_mul)
    if packed:
        return G2Points(buf)
    v = _unpack(buf, len(buf) // 32)
    return list(zip(zip(v[0::4], v[1::4]), zip(v[2::4], v[3::4])))


cdef list _fft(values, omega, shift, bint inverse):
    cdef bytearray buf = _fft_buf(_pack_scalars(values), len(values), omega, shift, inverse)
    return _unpack(buf, len(values))


cdef bytearray _fft_buf(bytearray buf, n_values, omega, shift, bint inverse):
    """The transform of the packed words in buf, in place (the C reduces them mod R)."""
    w = check_omega(n_values, omega)
    shift = check_shift(shift)
    cdef size_t n = n_values
    scale, pre, post = 1, shift, 1
    if inverse:
        w = pow(w, -1, R)
        scale, pre, post = pow(n_values, -1, R), 1, pow(shift, -1, R)
    cdef bytearray consts = bytearray(128)
    cdef uint8_t *c = _buf(consts)
    l2_int_to_le32(w, c)
    l2_int_to_le32(scale, c + 32)
    l2_int_to_le32(pre, c + 64)
    l2_int_to_le32(post, c + 96)
    cdef uint8_t *vp = _buf(buf)
    cdef int threads = THREADS
    cdef int rc
    with nogil:
        rc = l2_fr_fft(vp, n, c, c + 32, c + 64, c + 96, threads)
    if rc != L2_OK:
        raise MemoryError("fft: out of memory")
    return buf


def fft(values, omega, shift=1):
    """Evaluations of sum values[j] X^j at shift * omega^i for i < n, mod R."""
    return _fft(values, omega, shift, False)


def ifft(values, omega, shift=1):
    """Coefficients whose fft under (omega, shift) is values: the inverse of fft."""
    return _fft(values, omega, shift, True)


def fft_words(values, omega, shift=1, inverse=False):
    """fft (or ifft when inverse) of packed words, packed."""
    return FrWords(_fft_buf(bytearray(values.buf), len(values), omega, shift, inverse))


cdef object _decode(cls, data, int words, str encoding):
    cdef int enc = ENCODINGS[encoding]
    cdef size_t size = 32 * words
    if len(data) % size:
        raise ValueError(f"packed points take {size} bytes each, got {len(data)} bytes")
    cdef bytearray buf = bytearray(data)
    cdef size_t n = len(buf) // size
    cdef size_t bad = 0
    cdef uint8_t *b = _buf(buf)
    cdef int rc
    with nogil:
        rc = l2_points_decode(b, n, words, enc, &bad)
    if rc == L2_NOT_CANONICAL:
        raise PointError(bad, "canonical")
    if rc != L2_OK:
        raise PointError(bad, "curve")
    return cls(buf)


def decode_g1(data, encoding="le"):
    """Packed G1 points in encoding, each checked canonical and on the curve (PointError names a bad one)."""
    return _decode(G1Points, data, 2, encoding)


def decode_g2(data, encoding="le"):
    """Packed G2 points in encoding, each checked canonical and on the twist (not the subgroup)."""
    return _decode(G2Points, data, 4, encoding)


def encode_points(points, encoding):
    """The packed points' coordinates in encoding."""
    cdef int enc = ENCODINGS[encoding]
    cdef bytearray buf = bytearray(points.buf)
    cdef size_t count = len(buf) // 32
    cdef uint8_t *b = _buf(buf)
    with nogil:
        l2_coords_encode(b, count, enc)
    return bytes(buf)


def fr_rows(n, rows, signals, ids, table, witness):
    """out[k] = sum table[ids[e]] * witness[signals[e]] over the entries e with rows[e] = k."""
    cdef const uint32_t[::1] rv = rows
    cdef const uint32_t[::1] sv = signals
    cdef const uint32_t[::1] iv = ids
    cdef size_t count = len(rv)
    if len(sv) != count or len(iv) != count:
        raise ValueError("fr_rows: columns of different lengths")
    cdef size_t nn = n
    cdef bytearray out = bytearray(32 * nn)
    cdef const uint8_t[::1] tv = table.buf
    cdef const uint8_t[::1] wv = witness.buf
    cdef size_t nt = len(table), nw = len(witness)
    cdef const uint8_t *tp = &tv[0] if nt else <const uint8_t *>_buf(out)
    cdef const uint8_t *wp = &wv[0] if nw else <const uint8_t *>_buf(out)
    cdef const uint32_t *rp = &rv[0] if count else NULL
    cdef const uint32_t *sp = &sv[0] if count else NULL
    cdef const uint32_t *ip = &iv[0] if count else NULL
    cdef uint8_t *op = _buf(out)
    cdef int rc
    with nogil:
        rc = l2_fr_rows(op, nn, rp, sp, ip, count, tp, nt, wp, nw)
    if rc == L2_NO_MEMORY:
        raise MemoryError("fr_rows: out of memory")
    if rc != L2_OK:
        raise ValueError("fr_rows: a row, signal or value index is out of range")
    return FrWords(out)


def fr_mul_sub(a, b, c, k=1):
    """(a[i] * b[i] - c[i]) * k for every i (c None: zero), as packed words."""
    cdef size_t n = len(a)
    if len(b) != n or (c is not None and len(c) != n):
        raise ValueError("packed vectors of different lengths")
    cdef bytearray out = bytearray(32 * n)
    cdef bytearray kb = bytearray(32)
    l2_int_to_le32(k % R, _buf(kb))
    if n == 0:
        return FrWords(out)
    cdef const uint8_t[::1] av = a.buf
    cdef const uint8_t[::1] bv = b.buf
    cdef const uint8_t[::1] cv
    cdef const uint8_t *cp = NULL
    if c is not None:
        cv = c.buf
        cp = &cv[0]
    cdef uint8_t *op = _buf(out)
    cdef uint8_t *kp = _buf(kb)
    with nogil:
        l2_fr_mul_sub(op, &av[0], &bv[0], cp, kp, n)
    return FrWords(out)
