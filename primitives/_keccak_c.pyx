# cython: boundscheck=False, wraparound=False
"""keccak256, compiled: the C permutation in _native/keccak.h behind a thin wrapper."""

from libc.stdint cimport uint8_t
from libc.stddef cimport size_t


cdef extern from "keccak.h":
    void l2lab_keccak256(const uint8_t *data, size_t length, uint8_t *out) nogil


def keccak256(data) -> bytes:
    """Ethereum's keccak256 digest of a bytes-like object."""
    cdef const uint8_t[:] view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    cdef uint8_t out[32]
    cdef size_t n = view.shape[0]
    with nogil:
        if n:
            l2lab_keccak256(&view[0], n, out)
        else:
            l2lab_keccak256(out, 0, out)
    return out[:32]


def keccak256_many(items) -> list:
    """keccak256 of each item of a sequence of bytes objects."""
    cdef list result = []
    cdef bytes item
    cdef uint8_t out[32]
    cdef const unsigned char* p
    for item in items:
        p = item
        l2lab_keccak256(p, len(item), out)
        result.append(out[:32])
    return result
