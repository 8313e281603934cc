# cython: boundscheck=False, wraparound=False
"""Sparse Merkle tree, compiled: nodes live in C hash tables (one per level) and
a batch of writes is sorted, then applied and rehashed in C without the GIL.
Same names and rules as _smt_py."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from primitives._smt_py import (
    EMPTY_VALUE,
    MAX_DEPTH,
    check_depth,
    check_items,
    check_key,
    check_value,
    empty_hashes,
)


cdef extern from "smt.h":
    ctypedef struct l2lab_smt_slot:
        uint64_t key
        uint8_t val[32]
    ctypedef struct l2lab_smt_table:
        l2lab_smt_slot *slots
        uint8_t *used
        size_t cap
        size_t size
    void l2lab_smt_table_init(l2lab_smt_table *t) nogil
    void l2lab_smt_table_free(l2lab_smt_table *t) nogil
    const uint8_t *l2lab_smt_table_get(const l2lab_smt_table *t, uint64_t key) nogil
    int l2lab_smt_table_reserve(l2lab_smt_table *t, size_t want) nogil
    int l2lab_smt_table_copy(l2lab_smt_table *dst, const l2lab_smt_table *src) nogil
    void l2lab_smt_apply(l2lab_smt_table *values, l2lab_smt_table *levels,
                         const uint8_t (*empty)[32], int depth, uint64_t *keys,
                         const uint8_t *vals, size_t m) nogil


cdef enum:
    LEVELS = 65  # MAX_DEPTH + 1 tables: leaf level .. root level


cdef class SparseMerkleTree:
    """Key-value map of ``2**depth`` 32-byte leaves with a Merkle root.

    Only nodes that differ from the empty subtree of their level are stored,
    in one C hash table per level keyed by the node's index within the level.
    """

    cdef int _depth
    # Set while a batch runs without the GIL: another thread must not read the
    # tables mid-update nor grow them under it.
    cdef bint _busy
    cdef l2lab_smt_table _values
    cdef l2lab_smt_table _levels[LEVELS]
    cdef uint8_t _empty[LEVELS][32]

    def __cinit__(self, depth=32):
        cdef int i
        l2lab_smt_table_init(&self._values)
        for i in range(LEVELS):
            l2lab_smt_table_init(&self._levels[i])
        self._depth = check_depth(depth)
        assert self._depth <= MAX_DEPTH
        for i, node in enumerate(empty_hashes(self._depth)):
            memcpy(self._empty[i], PyBytes_AS_STRING(node), 32)

    def __dealloc__(self):
        cdef int i
        l2lab_smt_table_free(&self._values)
        for i in range(LEVELS):
            l2lab_smt_table_free(&self._levels[i])

    cdef int _idle(self) except -1:
        if self._busy:
            raise RuntimeError("the tree is being updated by another thread")
        return 0

    cdef bytes _node(self, int level, uint64_t index):
        cdef const uint8_t *p = l2lab_smt_table_get(&self._levels[level], index)
        if p == NULL:
            p = self._empty[level]
        return PyBytes_FromStringAndSize(<const char *> p, 32)

    @property
    def depth(self) -> int:
        """Number of levels below the root."""
        return self._depth

    @property
    def root(self) -> bytes:
        """The Merkle root of every leaf."""
        self._idle()
        return self._node(self._depth, 0)

    def get(self, key) -> bytes:
        """The value at ``key``; 32 zero bytes when it was never set."""
        cdef uint64_t k = check_key(key, self._depth)
        self._idle()
        cdef const uint8_t *p = l2lab_smt_table_get(&self._values, k)
        if p == NULL:
            return EMPTY_VALUE
        return PyBytes_FromStringAndSize(<const char *> p, 32)

    def set(self, key, value) -> bytes:
        """Store ``value`` at ``key`` (32 zero bytes deletes it) and return the new root."""
        return self.update_many(((check_key(key, self._depth), check_value(value)),))

    def update_many(self, items) -> bytes:
        """Apply many (key, value) writes and return the new root.

        Everything is checked, and every table grown, before anything changes.
        """
        cdef dict batch = check_items(items, self._depth)
        cdef size_t m = len(batch), i = 0
        cdef int level
        cdef uint64_t *keys = NULL
        cdef uint8_t *vals = NULL
        self._idle()
        if m == 0:
            return self.root
        self._busy = True
        try:
            keys = <uint64_t *> malloc(m * sizeof(uint64_t))
            vals = <uint8_t *> malloc(32 * m)
            if keys == NULL or vals == NULL:
                raise MemoryError("no memory for the batch")
            for key in sorted(batch):
                keys[i] = key
                memcpy(vals + 32 * i, PyBytes_AS_STRING(batch[key]), 32)
                i += 1
            if l2lab_smt_table_reserve(&self._values, self._values.size + m) != 0:
                raise MemoryError("no memory for the tree")
            for level in range(self._depth + 1):
                if l2lab_smt_table_reserve(&self._levels[level], self._levels[level].size + m) != 0:
                    raise MemoryError("no memory for the tree")
            with nogil:
                l2lab_smt_apply(&self._values, self._levels, self._empty, self._depth,
                                keys, vals, m)
        finally:
            self._busy = False
            free(keys)
            free(vals)
        return self.root

    def prove(self, key) -> list:
        """The ``depth`` siblings of ``key``'s path, leaf level first."""
        cdef uint64_t k = check_key(key, self._depth)
        cdef int level
        cdef list out = []
        self._idle()
        for level in range(self._depth):
            out.append(self._node(level, (k >> level) ^ 1))
        return out

    def copy(self) -> SparseMerkleTree:
        """An independent tree with the same leaves: a memcpy of each table."""
        cdef SparseMerkleTree twin = SparseMerkleTree(self._depth)
        cdef int level
        self._idle()
        if l2lab_smt_table_copy(&twin._values, &self._values) != 0:
            raise MemoryError("no memory to copy the tree")
        for level in range(self._depth + 1):
            if l2lab_smt_table_copy(&twin._levels[level], &self._levels[level]) != 0:
                raise MemoryError("no memory to copy the tree")
        return twin

    def items(self):
        """Every non-empty (key, value), in key order."""
        cdef size_t i
        cdef list out = []
        self._idle()
        for i in range(self._values.cap):
            if self._values.used[i]:
                out.append((self._values.slots[i].key, PyBytes_FromStringAndSize(
                    <const char *> self._values.slots[i].val, 32)))
        return iter(sorted(out))

    def __len__(self) -> int:
        return self._values.size

    def __repr__(self) -> str:
        return f"SparseMerkleTree(depth={self._depth}, leaves={len(self)}, root={self.root.hex()})"

