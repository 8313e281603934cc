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
from libc.stdint cimport uint8_t

from primitives.snark import _kernels_py as _py
from primitives.snark._kernels_py import (
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


# Both cores of a small machine; more threads than cores only adds overhead.
THREADS = max(1, min(8, os.cpu_count() or 1))
# From this many points the MSM accumulates buckets in batch-affine form; below
# it the shared inversions cost more than they save. Tests lower it to 0.
BATCH_AFFINE_MIN = 1024

__all__ = [
    "BATCH_AFFINE_MIN", "G1_INFINITY", "G2_INFINITY", "Q", "R", "THREADS",
    "batch_mul_g1", "batch_mul_g2", "fft", "ifft", "msm_g1", "msm_g2", "root_of_unity",
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
    cdef bytearray pbuf = _pack_points(points, words, check, name)
    cdef bytearray sbuf = _pack_scalars(scalars)
    cdef bytearray out = bytearray(32 * words)
    cdef size_t n = len(points)
    cdef size_t bad = 0
    cdef uint8_t *o = _buf(out)
    cdef uint8_t *pp = _buf(pbuf)
    cdef uint8_t *sp = _buf(sbuf)
    cdef int threads = THREADS
    cdef int ba = n >= BATCH_AFFINE_MIN
    cdef int rc
    with nogil:
        rc = kernel(o, pp, sp, n, threads, ba, &bad)
    if rc != L2_OK:
        _raise_bad_point(rc, points, bad, check, name)
    return _unpack(out, words)


cdef list _batch_mul(point, scalars, int words, check, str name, batch_fn kernel):
    """The coordinates of s * point for each s, back to back, one C call for either group."""
    cdef bytearray pbuf = _pack_points([point], words, check, name)
    cdef bytearray sbuf = _pack_scalars(scalars)
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
    return _unpack(out, words * n)


def msm_g1(points, scalars):
    """sum scalars[i] * points[i] on G1 (scalars taken mod R)."""
    x, y = _msm(points, scalars, 2, _py.check_g1, "G1", l2_g1_msm)
    return (x, y)


def msm_g2(points, scalars):
    """sum scalars[i] * points[i] on G2 (scalars taken mod R)."""
    x0, x1, y0, y1 = _msm(points, scalars, 4, _py.check_g2, "G2", l2_g2_msm)
    return ((x0, x1), (y0, y1))


def batch_mul_g1(point, scalars):
    """[s * point for s in scalars] on G1, sharing one window table."""
    v = _batch_mul(point, scalars, 2, _py.check_g1, "G1 base", l2_g1_batch_mul)
    return list(zip(v[0::2], v[1::2]))


def batch_mul_g2(point, scalars):
    """[s * point for s in scalars] on G2, sharing one window table."""
    v = _batch_mul(point, scalars, 4, _py.check_g2, "G2 base", l2_g2_batch_mul)
    return list(zip(zip(v[0::4], v[1::4]), zip(v[2::4], v[3::4])))


cdef list _fft(values, omega, shift, bint inverse):
    n_values = len(values)
    w = check_omega(n_values, omega)
    shift = check_shift(shift)
    cdef size_t n = n_values
    scale, pre, post = 1, shift, 1
    if inverse:
        w = pow(w, -1, R)
        scale, pre, post = pow(n_values, -1, R), 1, pow(shift, -1, R)
    cdef bytearray buf = _pack_scalars(values)  # the C reduces them mod R
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
    return _unpack(buf, n)


def fft(values, omega, shift=1):
    """Evaluations of sum values[j] X^j at shift * omega^i for i < n, mod R."""
    return _fft(values, omega, shift, False)


def ifft(values, omega, shift=1):
    """Coefficients whose fft under (omega, shift) is values: the inverse of fft."""
    return _fft(values, omega, shift, True)
