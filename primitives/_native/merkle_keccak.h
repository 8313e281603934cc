/* keccak256 of one-block inputs for the Merkle hot paths: a leaf (33 bytes) or a
 * node (65 bytes) never needs the absorb loop of l2lab_keccak256. */
#ifndef L2LAB_MERKLE_KECCAK_H
#define L2LAB_MERKLE_KECCAK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keccak.h"

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
    l2lab_keccak_f1600(s);
    for (int i = 0; i < 4; i++) l2lab_store64(out + 8 * i, s[i]);
}

#endif
