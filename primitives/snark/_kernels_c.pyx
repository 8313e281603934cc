# cython: boundscheck=False, wraparound=False
"""BN254 prover kernels, compiled: the C in _native/bn254_kernels.h behind a thin wrapper.

Same names and results as ``_kernels_py``. Python ints are packed into
little-endian byte buffers once, the C runs without the GIL on a few threads,
and the results are unpacked once; bad input is named with the pure twin's
own checks, so both twins raise the same messages.
"""

import os

from libc.stddef cimport size_t
from libc.stdint cimport uint8_t

from primitives.snark import _kernels_py as _py
from primitives.snark._kernels_py import (
    G1_INFINITY,
    G2_INFINITY,
    Q,
    R,
    check_fft_input,
    root_of_unity,
)


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
                  int nthreads)


# Both cores of a small machine; more threads than cores only adds overhead.
THREADS = max(1, min(8, os.cpu_count() or 1))
# From this many points the MSM accumulates buckets in batch-affine form; below
# it the shared inversions cost more than they save. Tests lower it to 0.
BATCH_AFFINE_MIN = 1024

__all__ = [
    "BATCH_AFFINE_MIN", "G1_INFINITY", "G2_INFINITY", "Q", "R", "THREADS",
    "batch_mul_g1", "batch_mul_g2", "fft", "ifft", "msm_g1", "msm_g2", "root_of_unity",
]


cdef bytes _pack_scalars(scalars):
    """Scalars reduced mod R as 32-byte little-endian words; non-ints are named."""
    cdef list parts = []
    cdef Py_ssize_t i
    for i, s in enumerate(scalars):
        if type(s) is not int:
            s = _py.check_scalar(s, i)  # names anything that is not an int
        parts.append((s % R).to_bytes(32, "little"))
    return b"".join(parts)


cdef bytes _pack_g1(points):
    """x, y of each point as 32-byte words; shapes and types checked, ranges left to C."""
    cdef list parts = []
    cdef Py_ssize_t i
    for i, p in enumerate(points):
        try:
            x, y = p
            if type(x) is not int or type(y) is not int:
                raise TypeError
            parts.append(x.to_bytes(32, "little"))
            parts.append(y.to_bytes(32, "little"))
        except (TypeError, ValueError, OverflowError):
            _py.check_g1(p, f"G1 point {i}")
            raise ValueError(f"G1 point {i} is malformed: {p!r}") from None
    return b"".join(parts)


cdef bytes _pack_g2(points):
    """x.c0, x.c1, y.c0, y.c1 of each point as 32-byte words."""
    cdef list parts = []
    cdef Py_ssize_t i
    for i, p in enumerate(points):
        try:
            (x0, x1), (y0, y1) = p
            for v in (x0, x1, y0, y1):
                if type(v) is not int:
                    raise TypeError
                parts.append(v.to_bytes(32, "little"))
        except (TypeError, ValueError, OverflowError):
            _py.check_g2(p, f"G2 point {i}")
            raise ValueError(f"G2 point {i} is malformed: {p!r}") from None
    return b"".join(parts)


cdef list _unpack(buf, Py_ssize_t count):
    """count 32-byte little-endian words back into ints."""
    cdef Py_ssize_t i
    mv = memoryview(buf)
    from_bytes = int.from_bytes
    return [from_bytes(mv[32 * i:32 * i + 32], "little") for i in range(count)]


cdef _raise_bad_point(int rc, points, size_t bad, check, str name):
    """Name the bad point with the pure twin's check, which knows why it is bad."""
    if rc == L2_NO_MEMORY:
        raise MemoryError(f"{name}: out of memory")
    check(points[bad], f"{name} point {bad}")
    raise ValueError(f"{name} point {bad} is invalid: {points[bad]!r}")


def msm_g1(points, scalars):
    """sum scalars[i] * points[i] on G1 (scalars taken mod R)."""
    _py._check_lengths(points, scalars)
    cdef bytes pbuf = _pack_g1(points)
    cdef bytes sbuf = _pack_scalars(scalars)
    cdef size_t n = len(points)
    cdef size_t bad = 0
    cdef bytearray out = bytearray(64)
    cdef uint8_t *o = out
    cdef const uint8_t *pp = pbuf
    cdef const uint8_t *sp = sbuf
    cdef int threads = THREADS
    cdef int ba = n >= BATCH_AFFINE_MIN
    cdef int rc
    with nogil:
        rc = l2_g1_msm(o, pp, sp, n, threads, ba, &bad)
    if rc != L2_OK:
        _raise_bad_point(rc, points, bad, _py.check_g1, "G1")
    x, y = _unpack(out, 2)
    return (x, y)


def msm_g2(points, scalars):
    """sum scalars[i] * points[i] on G2 (scalars taken mod R)."""
    _py._check_lengths(points, scalars)
    cdef bytes pbuf = _pack_g2(points)
    cdef bytes sbuf = _pack_scalars(scalars)
    cdef size_t n = len(points)
    cdef size_t bad = 0
    cdef bytearray out = bytearray(128)
    cdef uint8_t *o = out
    cdef const uint8_t *pp = pbuf
    cdef const uint8_t *sp = sbuf
    cdef int threads = THREADS
    cdef int ba = n >= BATCH_AFFINE_MIN
    cdef int rc
    with nogil:
        rc = l2_g2_msm(o, pp, sp, n, threads, ba, &bad)
    if rc != L2_OK:
        _raise_bad_point(rc, points, bad, _py.check_g2, "G2")
    x0, x1, y0, y1 = _unpack(out, 4)
    return ((x0, x1), (y0, y1))


def batch_mul_g1(point, scalars):
    """[s * point for s in scalars] on G1, sharing one window table."""
    cdef bytes pbuf = _pack_g1([point])
    cdef bytes sbuf = _pack_scalars(scalars)
    cdef size_t n = len(sbuf) // 32
    cdef bytearray out = bytearray(64 * n)
    cdef uint8_t *o = out
    cdef const uint8_t *pp = pbuf
    cdef const uint8_t *sp = sbuf
    cdef int threads = THREADS
    cdef int rc
    with nogil:
        rc = l2_g1_batch_mul(o, pp, sp, n, threads)
    if rc != L2_OK:
        _raise_bad_point(rc, [point], 0, _py.check_g1, "G1 base")
    v = _unpack(out, 2 * n)
    return list(zip(v[0::2], v[1::2]))


def batch_mul_g2(point, scalars):
    """[s * point for s in scalars] on G2, sharing one window table."""
    cdef bytes pbuf = _pack_g2([point])
    cdef bytes sbuf = _pack_scalars(scalars)
    cdef size_t n = len(sbuf) // 32
    cdef bytearray out = bytearray(128 * n)
    cdef uint8_t *o = out
    cdef const uint8_t *pp = pbuf
    cdef const uint8_t *sp = sbuf
    cdef int threads = THREADS
    cdef int rc
    with nogil:
        rc = l2_g2_batch_mul(o, pp, sp, n, threads)
    if rc != L2_OK:
        _raise_bad_point(rc, [point], 0, _py.check_g2, "G2 base")
    v = _unpack(out, 4 * n)
    return list(zip(zip(v[0::4], v[1::4]), zip(v[2::4], v[3::4])))


cdef list _fft(values, omega, bint inverse):
    a, w = check_fft_input(values, omega)
    cdef size_t n = len(a)
    scale = 1
    if inverse:
        w = pow(w, -1, R)
        scale = pow(n, -1, R)
    cdef bytearray buf = bytearray(b"".join([v.to_bytes(32, "little") for v in a]))
    cdef bytes wb = w.to_bytes(32, "little")
    cdef bytes kb = scale.to_bytes(32, "little")
    cdef uint8_t *vp = buf
    cdef const uint8_t *wp = wb
    cdef const uint8_t *kp = kb
    cdef int threads = THREADS
    cdef int rc
    with nogil:
        rc = l2_fr_fft(vp, n, wp, kp, threads)
    if rc != L2_OK:
        raise MemoryError("fft: out of memory")
    return _unpack(buf, n)


def fft(values, omega):
    """Evaluations of sum values[j] X^j at omega^0 .. omega^(n-1), mod R."""
    return _fft(values, omega, False)


def ifft(values, omega):
    """Coefficients whose fft under omega is values: fft with 1/omega, scaled by 1/n."""
    return _fft(values, omega, True)
