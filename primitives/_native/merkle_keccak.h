/* A straight-line Keccak-f[1600] for the Merkle hot paths: the 25 lanes live in
 * locals and each round is written out, which lets the compiler keep the state in
 * registers. Offsets and lane moves are those of the Keccak reference (the same
 * rho offsets and pi walk as primitives/_keccak_py.py); every Merkle and SMT test
 * checks the results against the keccak256 twins. Only single-block inputs
 * (< 136 bytes) are needed here: a leaf (33 bytes) or a node (65 bytes). */
#ifndef L2LAB_MERKLE_KECCAK_H
#define L2LAB_MERKLE_KECCAK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keccak.h"

#define L2LAB_MK_ROL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static inline void l2lab_mk_f1600(uint64_t s[25]) {
    uint64_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6], a7 = s[7], a8 = s[8], a9 = s[9], a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14], a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19], a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];
    uint64_t b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24;
    uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    for (int round = 0; round < 24; round++) {
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ L2LAB_MK_ROL(c1, 1);
        d1 = c0 ^ L2LAB_MK_ROL(c2, 1);
        d2 = c1 ^ L2LAB_MK_ROL(c3, 1);
        d3 = c2 ^ L2LAB_MK_ROL(c4, 1);
        d4 = c3 ^ L2LAB_MK_ROL(c0, 1);
        /* theta, rho and pi: lane (x, y) moves to (y, 2x + 3y) */
        b0 = (a0 ^ d0);
        b16 = L2LAB_MK_ROL((a5 ^ d0), 36);
        b7 = L2LAB_MK_ROL((a10 ^ d0), 3);
        b23 = L2LAB_MK_ROL((a15 ^ d0), 41);
        b14 = L2LAB_MK_ROL((a20 ^ d0), 18);
        b10 = L2LAB_MK_ROL((a1 ^ d1), 1);
        b1 = L2LAB_MK_ROL((a6 ^ d1), 44);
        b17 = L2LAB_MK_ROL((a11 ^ d1), 10);
        b8 = L2LAB_MK_ROL((a16 ^ d1), 45);
        b24 = L2LAB_MK_ROL((a21 ^ d1), 2);
        b20 = L2LAB_MK_ROL((a2 ^ d2), 62);
        b11 = L2LAB_MK_ROL((a7 ^ d2), 6);
        b2 = L2LAB_MK_ROL((a12 ^ d2), 43);
        b18 = L2LAB_MK_ROL((a17 ^ d2), 15);
        b9 = L2LAB_MK_ROL((a22 ^ d2), 61);
        b5 = L2LAB_MK_ROL((a3 ^ d3), 28);
        b21 = L2LAB_MK_ROL((a8 ^ d3), 55);
        b12 = L2LAB_MK_ROL((a13 ^ d3), 25);
        b3 = L2LAB_MK_ROL((a18 ^ d3), 21);
        b19 = L2LAB_MK_ROL((a23 ^ d3), 56);
        b15 = L2LAB_MK_ROL((a4 ^ d4), 27);
        b6 = L2LAB_MK_ROL((a9 ^ d4), 20);
        b22 = L2LAB_MK_ROL((a14 ^ d4), 39);
        b13 = L2LAB_MK_ROL((a19 ^ d4), 8);
        b4 = L2LAB_MK_ROL((a24 ^ d4), 14);
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

/* keccak256 of len < 136 bytes at in (one block), 32 bytes written to out. */
static inline void l2lab_mk_keccak256_short(const uint8_t *in, size_t len, uint8_t *out) {
    uint8_t block[L2LAB_KECCAK_RATE];
    uint64_t s[25];
    memset(block, 0, sizeof block);
    memcpy(block, in, len);
    block[len] ^= 0x01;
    block[L2LAB_KECCAK_RATE - 1] ^= 0x80;
    for (int i = 0; i < L2LAB_KECCAK_RATE / 8; i++) s[i] = l2lab_load64(block + 8 * i);
    for (int i = L2LAB_KECCAK_RATE / 8; i < 25; i++) s[i] = 0;
    l2lab_mk_f1600(s);
    for (int i = 0; i < 4; i++) l2lab_store64(out + 8 * i, s[i]);
}

#endif
