/* Binary Merkle tree levels over 32-byte nodes, in C so that a whole tree is
 * hashed in one call without the GIL. The rules match primitives/_merkle_py.py:
 * leaf node = keccak(0x00 || leaf), parent = keccak(0x01 || left || right),
 * a missing right sibling is 32 zero bytes. */
#ifndef L2LAB_MERKLE_H
#define L2LAB_MERKLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "merkle_keccak.h"

/* Replace each of the n 32-byte leaves at buf by its leaf node. */
static inline void l2lab_merkle_hash_leaves(uint8_t *buf, size_t n) {
    uint8_t tmp[33];
    tmp[0] = 0x00;
    for (size_t i = 0; i < n; i++) {
        memcpy(tmp + 1, buf + 32 * i, 32);
        l2lab_mk_keccak256_short(tmp, 33, buf + 32 * i);
    }
}

/* Hash a level of n nodes at in into its (n + 1) / 2 parents at out; out may be in,
 * because parent i is written only after children 2i and 2i + 1 were read. */
static inline void l2lab_merkle_parents(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tmp[65];
    tmp[0] = 0x01;
    for (size_t i = 0; 2 * i < n; i++) {
        memcpy(tmp + 1, in + 64 * i, 32);
        if (2 * i + 1 < n)
            memcpy(tmp + 33, in + 64 * i + 32, 32);
        else
            memset(tmp + 33, 0, 32);
        l2lab_mk_keccak256_short(tmp, 65, out + 32 * i);
    }
}

/* The root of n >= 1 leaves at buf, computed in place (buf is overwritten). */
static inline void l2lab_merkle_root_inplace(uint8_t *buf, size_t n, uint8_t *root) {
    l2lab_merkle_hash_leaves(buf, n);
    while (n > 1) {
        l2lab_merkle_parents(buf, n, buf);
        n = (n + 1) / 2;
    }
    memcpy(root, buf, 32);
}

/* Node count of all levels of a tree of n >= 1 leaves. */
static inline size_t l2lab_merkle_total_nodes(size_t n) {
    size_t total = n;
    while (n > 1) {
        n = (n + 1) / 2;
        total += n;
    }
    return total;
}

/* Fill every level: buf holds the n leaves and has room for all levels, which are
 * laid out leaf level first, each level right after the previous one. */
static inline void l2lab_merkle_build_levels(uint8_t *buf, size_t n) {
    l2lab_merkle_hash_leaves(buf, n);
    uint8_t *level = buf;
    while (n > 1) {
        l2lab_merkle_parents(level, n, level + 32 * n);
        level += 32 * n;
        n = (n + 1) / 2;
    }
}

#endif
