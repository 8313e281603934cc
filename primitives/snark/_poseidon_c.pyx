# cython: boundscheck=False, wraparound=False
"""Poseidon permutation, compiled: the twin of ``_poseidon_py`` with the same functions.

Field elements are four 64-bit limbs in Montgomery form (x * 2^256 mod r),
multiplied with the CIOS loop over unsigned __int128. Rounds follow the sparse
schedule of ``_poseidon_sparse``, converted once per width and cached. Validation is shared
with the pure twin so both reject bad input with the same messages.
"""

from libc.stdint cimport uint8_t

from primitives.snark._poseidon_params import MAX_WIDTH
from primitives.snark._poseidon_py import _check_words
from primitives.snark._poseidon_sparse import sparse_schedule

MAX_INPUTS = MAX_WIDTH - 1


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    typedef unsigned __int128 l2_u128;
    typedef struct { uint64_t l[4]; } l2_fr;

    /* r of BN254 in little-endian limbs, -r^-1 mod 2^64, and 2^512 mod r. */
    static const uint64_t L2_FR_P[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL,
                                        0xb85045b68181585dULL, 0x30644e72e131a029ULL};
    static const uint64_t L2_FR_INV = 0xc2e1f593efffffffULL;
    static const l2_fr L2_FR_R2 = {{0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL,
                                    0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL}};

    /* t mod r for t < 2r: subtract r once unless that borrows. */
    static inline void l2_fr_reduce(l2_fr *out, const uint64_t t[4]) {
        uint64_t d[4], borrow = 0;
        for (int i = 0; i < 4; i++) {
            l2_u128 x = (l2_u128)t[i] - L2_FR_P[i] - borrow;
            d[i] = (uint64_t)x;
            borrow = (uint64_t)(x >> 64) & 1;
        }
        memcpy(out->l, borrow ? t : d, 32);
    }

    static inline void l2_fr_add(l2_fr *out, const l2_fr *a, const l2_fr *b) {
        uint64_t t[4], carry = 0;
        for (int i = 0; i < 4; i++) {
            l2_u128 x = (l2_u128)a->l[i] + b->l[i] + carry;
            t[i] = (uint64_t)x;
            carry = (uint64_t)(x >> 64);
        }
        l2_fr_reduce(out, t); /* a + b < 2r < 2^255: nothing carries out of limb 3 */
    }

    /* Montgomery product a * b / 2^256 mod r (CIOS: multiply and reduce limb by limb). */
    static inline void l2_fr_mul(l2_fr *out, const l2_fr *a, const l2_fr *b) {
        uint64_t t[6] = {0, 0, 0, 0, 0, 0};
        for (int i = 0; i < 4; i++) {
            uint64_t carry = 0;
            for (int j = 0; j < 4; j++) {
                l2_u128 x = (l2_u128)a->l[j] * b->l[i] + t[j] + carry;
                t[j] = (uint64_t)x;
                carry = (uint64_t)(x >> 64);
            }
            l2_u128 x = (l2_u128)t[4] + carry;
            t[4] = (uint64_t)x;
            t[5] = (uint64_t)(x >> 64);
            uint64_t m = t[0] * L2_FR_INV;
            x = (l2_u128)m * L2_FR_P[0] + t[0];
            carry = (uint64_t)(x >> 64);
            for (int j = 1; j < 4; j++) {
                x = (l2_u128)m * L2_FR_P[j] + t[j] + carry;
                t[j - 1] = (uint64_t)x;
                carry = (uint64_t)(x >> 64);
            }
            x = (l2_u128)t[4] + carry;
            t[3] = (uint64_t)x;
            t[4] = t[5] + (uint64_t)(x >> 64);
        }
        l2_fr_reduce(out, t);
    }

    static inline void l2_fr_from_le(l2_fr *out, const uint8_t *b) {
        for (int i = 0; i < 4; i++) {
            uint64_t v = 0;
            for (int k = 7; k >= 0; k--) v = (v << 8) | b[8 * i + k];
            out->l[i] = v;
        }
    }

    static inline void l2_fr_to_le(uint8_t *b, const l2_fr *a) {
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 8; k++) b[8 * i + k] = (uint8_t)(a->l[i] >> (8 * k));
    }

    /* 32 little-endian bytes of a reduced element into Montgomery form, and back. */
    static void l2_fr_load(l2_fr *out, const uint8_t *b) {
        l2_fr x;
        l2_fr_from_le(&x, b);
        l2_fr_mul(out, &x, &L2_FR_R2);
    }

    static void l2_fr_store(uint8_t *b, const l2_fr *a) {
        static const l2_fr one = {{1, 0, 0, 0}};
        l2_fr x;
        l2_fr_mul(&x, a, &one);
        l2_fr_to_le(b, &x);
    }

    static inline void l2_fr_pow5(l2_fr *x) {
        l2_fr x2, x4;
        l2_fr_mul(&x2, x, x);
        l2_fr_mul(&x4, &x2, &x2);
        l2_fr_mul(x, &x4, x);
    }

    /* x <- m * (x + c)^5 word by word: a full round; m is t x t, row-major. */
    static inline void l2_full_round(l2_fr *x, int t, const l2_fr *c, const l2_fr *m) {
        l2_fr next[17], prod;
        for (int i = 0; i < t; i++) {
            l2_fr_add(&x[i], &x[i], &c[i]);
            l2_fr_pow5(&x[i]);
        }
        for (int i = 0; i < t; i++) {
            l2_fr_mul(&next[i], &m[i * t], &x[0]);
            for (int j = 1; j < t; j++) {
                l2_fr_mul(&prod, &m[i * t + j], &x[j]);
                l2_fr_add(&next[i], &next[i], &prod);
            }
        }
        memcpy(x, next, (size_t)t * sizeof(l2_fr));
    }

    /* The permutation in place, on the sparse schedule of _poseidon_sparse. The table
     * holds, in order: half * t first constants, the MDS, the pre-sparse MDS, rp word-0
     * constants, rp sparse matrices of 2t - 1 words (m00, row[t-1], col[t-1]) and half * t
     * last constants. */
    static void l2_poseidon_permute(l2_fr *x, int t, int half, int rp, const l2_fr *tab) {
        const l2_fr *first = tab, *mds = first + half * t, *pre = mds + t * t;
        const l2_fr *pc = pre + t * t, *sp = pc + rp, *last = sp + rp * (2 * t - 1);
        l2_fr prod, y0;
        for (int r = 0; r < half; r++)
            l2_full_round(x, t, &first[r * t], r == half - 1 ? pre : mds);
        for (int r = 0; r < rp; r++) {
            const l2_fr *m = &sp[r * (2 * t - 1)];
            l2_fr_add(&x[0], &x[0], &pc[r]);
            l2_fr_pow5(&x[0]);
            l2_fr_mul(&y0, &m[0], &x[0]);
            for (int j = 1; j < t; j++) {
                l2_fr_mul(&prod, &m[j], &x[j]);
                l2_fr_add(&y0, &y0, &prod);
                l2_fr_mul(&prod, &m[t - 1 + j], &x[0]);
                l2_fr_add(&x[j], &x[j], &prod);
            }
            x[0] = y0;
        }
        for (int r = 0; r < half; r++) l2_full_round(x, t, &last[r * t], mds);
    }
    """
    ctypedef struct l2_fr:
        pass
    void l2_fr_load(l2_fr *out, const uint8_t *b) nogil
    void l2_fr_store(uint8_t *b, const l2_fr *a) nogil
    void l2_poseidon_permute(l2_fr *x, int t, int half, int rp, const l2_fr *tab) nogil


cdef dict _TABLES = {}  # t -> (Montgomery-form table bytes, full rounds / 2, partial rounds)


cdef bytes _to_mont_bytes(list values):
    """Pack reduced ints as consecutive Montgomery-form l2_fr structs (32 bytes each)."""
    cdef bytearray out = bytearray(32 * len(values))
    cdef unsigned char[::1] view = out
    cdef Py_ssize_t i
    cdef bytes le
    for i in range(len(values)):
        le = (<object>values[i]).to_bytes(32, "little")
        l2_fr_load(<l2_fr *>&view[32 * i], <const uint8_t *><const char *>le)
    return bytes(out)


cdef tuple _table(int t):
    cached = _TABLES.get(t)
    if cached is None:
        s = sparse_schedule(t)
        flat = [c for rc in s.first_constants for c in rc]
        flat += [m for row in s.mds for m in row] + [m for row in s.pre_sparse_mds for m in row]
        flat += list(s.partial_constants)
        for m00, row, col in s.sparse:
            flat += [m00, *row, *col]
        flat += [c for rc in s.last_constants for c in rc]
        cached = (_to_mont_bytes(flat), len(s.first_constants), len(s.partial_constants))
        _TABLES[t] = cached
    return cached


cdef list _permute(list words):
    """The permutation of checked words; len(words) is the width."""
    cdef int t = len(words)
    cdef tuple table = _table(t)
    cdef bytes consts = table[0]
    cdef int half = table[1], rp = table[2]
    cdef const l2_fr *tab = <const l2_fr *><const char *>consts
    cdef unsigned char buf[17 * 32]
    cdef unsigned char out[32]
    cdef int i
    cdef bytes le
    for i in range(t):
        le = (<object>words[i]).to_bytes(32, "little")
        l2_fr_load(<l2_fr *>&buf[32 * i], <const uint8_t *><const char *>le)
    with nogil:
        l2_poseidon_permute(<l2_fr *>buf, t, half, rp, tab)
    result = []
    for i in range(t):
        l2_fr_store(out, <l2_fr *>&buf[32 * i])
        result.append(int.from_bytes(out[:32], "little"))
    return result


def poseidon_permutation(state) -> list:
    """The Poseidon permutation of a width-t state (t = 2..17), returned as a new list."""
    if not 2 <= len(state) <= MAX_WIDTH:
        raise ValueError(f"Poseidon state must have 2 to {MAX_WIDTH} words, got {len(state)}")
    return _permute(_check_words(state, "state"))


def poseidon(inputs) -> int:
    """circomlib's Poseidon hash: permute ``[0, *inputs]`` and return word 0."""
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    return _permute([0] + _check_words(inputs, "inputs"))[0]


def poseidon_many(batch) -> list:
    """``poseidon`` of each input list."""
    return [poseidon(inputs) for inputs in batch]
