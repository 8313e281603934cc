/* Sparse Merkle tree storage and path recomputation in C.
 *
 * Each level of the tree is an open-addressing hash table (linear probing,
 * power-of-two capacity, at most half full) from a node's index within its
 * level to its 32-byte hash; only nodes that differ from the empty subtree of
 * their level are stored. A batch update runs entirely here without the GIL.
 * The hashing rules match primitives/_smt_py.py: leaf node = keccak(0x00 ||
 * value), parent = keccak(0x01 || left || right). */
#ifndef L2LAB_SMT_H
#define L2LAB_SMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "merkle_keccak.h"

typedef struct {
    uint64_t key;
    uint8_t val[32];
} l2lab_smt_slot;

typedef struct {
    l2lab_smt_slot *slots;
    uint8_t *used;
    size_t cap; /* 0 or a power of two */
    size_t size;
} l2lab_smt_table;

/* splitmix64's finaliser: spreads consecutive indexes over the table. */
static inline size_t l2lab_smt_home(uint64_t key, size_t cap) {
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return (size_t)key & (cap - 1);
}

static inline void l2lab_smt_table_init(l2lab_smt_table *t) {
    t->slots = NULL;
    t->used = NULL;
    t->cap = 0;
    t->size = 0;
}

static inline void l2lab_smt_table_free(l2lab_smt_table *t) {
    free(t->slots);
    free(t->used);
    l2lab_smt_table_init(t);
}

static inline const uint8_t *l2lab_smt_table_get(const l2lab_smt_table *t, uint64_t key) {
    if (t->size == 0) return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = l2lab_smt_home(key, t->cap);; i = (i + 1) & mask) {
        if (!t->used[i]) return NULL;
        if (t->slots[i].key == key) return t->slots[i].val;
    }
}

/* Insert or overwrite; the caller has reserved room (the table stays half empty). */
static inline void l2lab_smt_table_put(l2lab_smt_table *t, uint64_t key, const uint8_t *val) {
    size_t mask = t->cap - 1;
    size_t i = l2lab_smt_home(key, t->cap);
    while (t->used[i] && t->slots[i].key != key) i = (i + 1) & mask;
    if (!t->used[i]) {
        t->used[i] = 1;
        t->slots[i].key = key;
        t->size++;
    }
    memcpy(t->slots[i].val, val, 32);
}

/* Remove key if present, shifting later entries of its probe run back so that
 * lookups never stop early at the hole (no tombstones). */
static inline void l2lab_smt_table_del(l2lab_smt_table *t, uint64_t key) {
    if (t->size == 0) return;
    size_t mask = t->cap - 1;
    size_t i = l2lab_smt_home(key, t->cap);
    while (1) {
        if (!t->used[i]) return;
        if (t->slots[i].key == key) break;
        i = (i + 1) & mask;
    }
    size_t j = i;
    while (1) {
        j = (j + 1) & mask;
        if (!t->used[j]) break;
        size_t home = l2lab_smt_home(t->slots[j].key, t->cap);
        /* the entry at j may stay only if its home lies cyclically in (i, j] */
        int stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        t->slots[i] = t->slots[j];
        i = j;
    }
    t->used[i] = 0;
    t->size--;
}

/* Grow so that `want` entries fit at most half full; 0 on success, -1 if out of
 * memory (the table is then unchanged). */
static inline int l2lab_smt_table_reserve(l2lab_smt_table *t, size_t want) {
    if (2 * want <= t->cap) return 0;
    size_t cap = 16;
    while (cap < 2 * want) cap *= 2;
    l2lab_smt_slot *slots = (l2lab_smt_slot *)malloc(cap * sizeof(l2lab_smt_slot));
    uint8_t *used = (uint8_t *)calloc(cap, 1);
    if (!slots || !used) {
        free(slots);
        free(used);
        return -1;
    }
    l2lab_smt_table grown = {slots, used, cap, 0};
    for (size_t i = 0; i < t->cap; i++)
        if (t->used[i]) l2lab_smt_table_put(&grown, t->slots[i].key, t->slots[i].val);
    free(t->slots);
    free(t->used);
    *t = grown;
    return 0;
}

/* dst (initialised, empty) becomes a copy of src; 0 on success, -1 if out of memory. */
static inline int l2lab_smt_table_copy(l2lab_smt_table *dst, const l2lab_smt_table *src) {
    if (src->cap == 0) return 0;
    dst->slots = (l2lab_smt_slot *)malloc(src->cap * sizeof(l2lab_smt_slot));
    dst->used = (uint8_t *)malloc(src->cap);
    if (!dst->slots || !dst->used) {
        l2lab_smt_table_free(dst);
        return -1;
    }
    memcpy(dst->slots, src->slots, src->cap * sizeof(l2lab_smt_slot));
    memcpy(dst->used, src->used, src->cap);
    dst->cap = src->cap;
    dst->size = src->size;
    return 0;
}

static inline int l2lab_smt_is_zero(const uint8_t *v) {
    for (int i = 0; i < 32; i++)
        if (v[i]) return 0;
    return 1;
}

/* Apply m writes (keys strictly ascending, vals 32 bytes each; a zero value
 * deletes) and rehash every touched path up to the root. levels has depth + 1
 * tables and empty the depth + 1 empty-subtree nodes. Every table must have
 * room for m more entries. keys is overwritten (it becomes the parent list). */
static inline void l2lab_smt_apply(l2lab_smt_table *values, l2lab_smt_table *levels,
                                   const uint8_t (*empty)[32], int depth, uint64_t *keys,
                                   const uint8_t *vals, size_t m) {
    uint8_t buf[65], node[32];
    buf[0] = 0x00;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *v = vals + 32 * i;
        if (l2lab_smt_is_zero(v)) {
            l2lab_smt_table_del(values, keys[i]);
            l2lab_smt_table_del(&levels[0], keys[i]);
        } else {
            l2lab_smt_table_put(values, keys[i], v);
            memcpy(buf + 1, v, 32);
            l2lab_mk_keccak256_short(buf, 33, node);
            l2lab_smt_table_put(&levels[0], keys[i], node);
        }
    }
    buf[0] = 0x01;
    for (int level = 0; level < depth; level++) {
        /* parents of sorted keys are sorted: dedupe neighbours in place */
        size_t w = 0;
        for (size_t i = 0; i < m; i++) {
            uint64_t parent = keys[i] >> 1;
            if (w == 0 || keys[w - 1] != parent) keys[w++] = parent;
        }
        m = w;
        const l2lab_smt_table *children = &levels[level];
        for (size_t i = 0; i < m; i++) {
            uint64_t p = keys[i];
            const uint8_t *left = l2lab_smt_table_get(children, 2 * p);
            const uint8_t *right = l2lab_smt_table_get(children, 2 * p + 1);
            memcpy(buf + 1, left ? left : empty[level], 32);
            memcpy(buf + 33, right ? right : empty[level], 32);
            l2lab_mk_keccak256_short(buf, 65, node);
            if (memcmp(node, empty[level + 1], 32) == 0)
                l2lab_smt_table_del(&levels[level + 1], p);
            else
                l2lab_smt_table_put(&levels[level + 1], p, node);
        }
    }
}

#endif
