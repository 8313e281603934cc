/* Keccak-f[1600] and Ethereum's keccak256 (original Keccak padding 0x01..0x80,
 * rate 136 bytes, 32-byte output), as small static functions that every
 * compiled l2lab module can include. The twin in primitives/_keccak_py.py
 * derives the same constants from the specification. */
#ifndef L2LAB_KECCAK_H
#define L2LAB_KECCAK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const uint64_t l2lab_keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

/* rho offsets and pi destinations, walked along the lane cycle starting at (1, 0). */
static const unsigned l2lab_keccak_rot[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                              27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned l2lab_keccak_pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                             15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

#define L2LAB_ROTL64(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static inline void l2lab_keccak_f1600(uint64_t a[25]) {
    uint64_t c[5], d, t, u;
    for (int round = 0; round < 24; round++) {
        /* theta */
        for (int x = 0; x < 5; x++) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            d = c[(x + 4) % 5] ^ L2LAB_ROTL64(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
        }
        /* rho and pi */
        t = a[1];
        for (int i = 0; i < 24; i++) {
            unsigned j = l2lab_keccak_pi[i];
            u = a[j];
            a[j] = L2LAB_ROTL64(t, l2lab_keccak_rot[i]);
            t = u;
        }
        /* chi */
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++) c[x] = a[y + x];
            for (int x = 0; x < 5; x++) a[y + x] = c[x] ^ ((~c[(x + 1) % 5]) & c[(x + 2) % 5]);
        }
        /* iota */
        a[0] ^= l2lab_keccak_rc[round];
    }
}

static inline uint64_t l2lab_load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static inline void l2lab_store64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) { p[i] = (uint8_t)v; v >>= 8; }
}

#define L2LAB_KECCAK_RATE 136

/* keccak256 of len bytes at in, 32 bytes written to out. Safe without the GIL. */
static inline void l2lab_keccak256(const uint8_t *in, size_t len, uint8_t *out) {
    uint64_t a[25];
    uint8_t block[L2LAB_KECCAK_RATE];
    memset(a, 0, sizeof a);
    while (len >= L2LAB_KECCAK_RATE) {
        for (int i = 0; i < L2LAB_KECCAK_RATE / 8; i++) a[i] ^= l2lab_load64(in + 8 * i);
        l2lab_keccak_f1600(a);
        in += L2LAB_KECCAK_RATE;
        len -= L2LAB_KECCAK_RATE;
    }
    memset(block, 0, sizeof block);
    if (len) memcpy(block, in, len);
    block[len] ^= 0x01;
    block[L2LAB_KECCAK_RATE - 1] ^= 0x80;
    for (int i = 0; i < L2LAB_KECCAK_RATE / 8; i++) a[i] ^= l2lab_load64(block + 8 * i);
    l2lab_keccak_f1600(a);
    for (int i = 0; i < 4; i++) l2lab_store64(out + 8 * i, a[i]);
}

#endif
