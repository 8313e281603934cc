# cython: boundscheck=False, wraparound=False
"""Binary Merkle tree, compiled: leaves are copied into one C buffer, then every
level is hashed in C without the GIL. Same names and rules as _merkle_py."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from primitives._merkle_py import EMPTY_ROOT, ZERO_HASH, as_bytes32, check_index


cdef extern from "merkle.h":
    void l2lab_merkle_root_inplace(uint8_t *buf, size_t n, uint8_t *root) nogil
    size_t l2lab_merkle_total_nodes(size_t n) nogil
    void l2lab_merkle_build_levels(uint8_t *buf, size_t n) nogil


cdef uint8_t *_copy_leaves(list leaves, size_t room) except NULL:
    """malloc room nodes and copy the leaves to the front, checking each is 32 bytes."""
    cdef Py_ssize_t n = len(leaves), i
    cdef uint8_t *buf = <uint8_t *> malloc(32 * room if room else 32)
    cdef object leaf
    if buf == NULL:
        raise MemoryError("no memory for the Merkle tree")
    try:
        for i in range(n):
            leaf = leaves[i]
            if type(leaf) is not bytes or PyBytes_GET_SIZE(leaf) != 32:
                leaf = as_bytes32(leaf, f"leaf {i}")
            memcpy(buf + 32 * i, PyBytes_AS_STRING(leaf), 32)
    except BaseException:
        free(buf)
        raise
    return buf


cdef list _as_list(leaves):
    return leaves if type(leaves) is list else list(leaves)


def merkle_root(leaves) -> bytes:
    """The root of ``leaves`` (32 bytes each); ``ZERO_HASH`` for no leaves."""
    cdef list items = _as_list(leaves)
    cdef size_t n = len(items)
    cdef uint8_t root[32]
    if n == 0:
        return EMPTY_ROOT
    cdef uint8_t *buf = _copy_leaves(items, n)
    with nogil:
        l2lab_merkle_root_inplace(buf, n, root)
    free(buf)
    return PyBytes_FromStringAndSize(<char *> root, 32)


def merkle_proof(leaves, index) -> list:
    """The siblings from leaf ``index`` up to the root, leaf level first."""
    return MerkleTree(leaves).proof(index)


cdef class MerkleTree:
    """A tree that keeps all its levels in one C buffer, so each proof is a lookup."""

    cdef uint8_t *_nodes
    cdef size_t _n

    def __cinit__(self, leaves):
        cdef list items = _as_list(leaves)
        self._n = len(items)
        self._nodes = NULL
        if self._n == 0:
            return
        cdef size_t total = l2lab_merkle_total_nodes(self._n)
        self._nodes = _copy_leaves(items, total)
        with nogil:
            l2lab_merkle_build_levels(self._nodes, self._n)

    def __dealloc__(self):
        free(self._nodes)

    @property
    def root(self) -> bytes:
        """The root, as merkle_root computes it."""
        if self._n == 0:
            return EMPTY_ROOT
        cdef size_t total = l2lab_merkle_total_nodes(self._n)
        return PyBytes_FromStringAndSize(<char *> (self._nodes + 32 * (total - 1)), 32)

    def proof(self, index) -> list:
        """The siblings of leaf ``index``, as merkle_proof computes them."""
        check_index(index, self._n)
        cdef size_t i = index, width = self._n, sibling
        cdef uint8_t *level = self._nodes
        cdef list out = []
        while width > 1:
            sibling = i ^ 1
            if sibling < width:
                out.append(PyBytes_FromStringAndSize(<char *> (level + 32 * sibling), 32))
            else:
                out.append(ZERO_HASH)
            level += 32 * width
            width = (width + 1) // 2
            i >>= 1
        return out

    def __len__(self) -> int:
        return self._n
