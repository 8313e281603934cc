/* BN254 base field Fq, scalar field Fr and Fq2 = Fq[i]/(i^2+1).
 *
 * Elements are four little-endian 64-bit limbs in Montgomery form (a * 2^256
 * mod p), multiplied by CIOS Montgomery multiplication on unsigned __int128
 * products. Both moduli are below 2^254, so sums of two elements never carry
 * out of the top limb.
 */
#ifndef L2LAB_BN254_FIELD_H
#define L2LAB_BN254_FIELD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

typedef struct { uint64_t l[4]; } fe_t;         /* an Fq or Fr element */
typedef struct { fe_t c0, c1; } fq2_t;           /* c0 + c1 * i */

static const uint64_t FQ_P[4] = {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL,
                                 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
static const uint64_t FQ_INV = 0x87d20782e4866389ULL; /* -Q^-1 mod 2^64 */
static const fe_t FQ_R2 = {{0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL,
                            0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL}};
static const fe_t FQ_ONE = {{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                             0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}};

static const uint64_t FR_P[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL,
                                 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
static const uint64_t FR_INV = 0xc2e1f593efffffffULL; /* -R^-1 mod 2^64 */
static const fe_t FR_R2 = {{0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL,
                            0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL}};
static const fe_t FR_ONE = {{0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL,
                             0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL}};

/* ---------------------------------------------------------------- generic */

/* a < p on plain limbs: the range check of untrusted input. */
static inline int fe_lt(const fe_t *a, const uint64_t p[4]) {
    for (int i = 3; i >= 0; i--) {
        if (a->l[i] != p[i]) return a->l[i] < p[i];
    }
    return 0;
}

static inline int fe_is_zero(const fe_t *a) {
    return (a->l[0] | a->l[1] | a->l[2] | a->l[3]) == 0;
}

static inline int fe_eq(const fe_t *a, const fe_t *b) {
    return ((a->l[0] ^ b->l[0]) | (a->l[1] ^ b->l[1]) | (a->l[2] ^ b->l[2]) |
            (a->l[3] ^ b->l[3])) == 0;
}

/* Add and subtract with carry: the x86-64 intrinsics compile to adc/sbb
 * chains, which gcc does not find from the portable __int128 version. */
#if defined(__x86_64__)
#include <x86intrin.h>
static inline unsigned char l2_addc(unsigned char c, uint64_t a, uint64_t b, uint64_t *out) {
    return _addcarry_u64(c, a, b, (unsigned long long *)out);
}
static inline unsigned char l2_subb(unsigned char c, uint64_t a, uint64_t b, uint64_t *out) {
    return _subborrow_u64(c, a, b, (unsigned long long *)out);
}
#else
static inline unsigned char l2_addc(unsigned char c, uint64_t a, uint64_t b, uint64_t *out) {
    u128 x = (u128)a + b + c;
    *out = (uint64_t)x;
    return (unsigned char)(x >> 64);
}
static inline unsigned char l2_subb(unsigned char c, uint64_t a, uint64_t b, uint64_t *out) {
    u128 x = (u128)a - b - c;
    *out = (uint64_t)x;
    return (unsigned char)((x >> 64) & 1);
}
#endif

/* r = t - p when t >= p, else t: the final step of add and multiply.
 * Branch-free: which way it goes depends on the data and would mispredict. */
static inline void fe_reduce_once(fe_t *r, const uint64_t t[4], const uint64_t p[4]) {
    uint64_t d0, d1, d2, d3;
    unsigned char b = l2_subb(0, t[0], p[0], &d0);
    b = l2_subb(b, t[1], p[1], &d1);
    b = l2_subb(b, t[2], p[2], &d2);
    b = l2_subb(b, t[3], p[3], &d3);
    const uint64_t keep = (uint64_t)0 - b; /* all ones: t < p, keep t */
    r->l[0] = (t[0] & keep) | (d0 & ~keep);
    r->l[1] = (t[1] & keep) | (d1 & ~keep);
    r->l[2] = (t[2] & keep) | (d2 & ~keep);
    r->l[3] = (t[3] & keep) | (d3 & ~keep);
}

static inline void fe_add_p(fe_t *r, const fe_t *a, const fe_t *b, const uint64_t p[4]) {
    uint64_t t[4];
    unsigned char c = l2_addc(0, a->l[0], b->l[0], &t[0]);
    c = l2_addc(c, a->l[1], b->l[1], &t[1]);
    c = l2_addc(c, a->l[2], b->l[2], &t[2]);
    l2_addc(c, a->l[3], b->l[3], &t[3]);
    fe_reduce_once(r, t, p); /* a + b < 2p < 2^255: no carry out of limb 3 */
}

static inline void fe_sub_p(fe_t *r, const fe_t *a, const fe_t *b, const uint64_t p[4]) {
    uint64_t t0, t1, t2, t3;
    unsigned char c = l2_subb(0, a->l[0], b->l[0], &t0);
    c = l2_subb(c, a->l[1], b->l[1], &t1);
    c = l2_subb(c, a->l[2], b->l[2], &t2);
    c = l2_subb(c, a->l[3], b->l[3], &t3);
    const uint64_t mask = (uint64_t)0 - c; /* add p back when a < b */
    c = l2_addc(0, t0, p[0] & mask, &r->l[0]);
    c = l2_addc(c, t1, p[1] & mask, &r->l[1]);
    c = l2_addc(c, t2, p[2] & mask, &r->l[2]);
    l2_addc(c, t3, p[3] & mask, &r->l[3]);
}

static inline uint64_t l2_mul_wide(uint64_t a, uint64_t b, uint64_t *hi) {
    u128 x = (u128)a * b;
    *hi = (uint64_t)(x >> 64);
    return (uint64_t)x;
}

/* r = a * b / 2^256 mod p, by CIOS: each round adds a * b[i], then the
 * multiple m * p that clears the low word, and shifts one word down. The four
 * products of a row are taken first, then summed in two adc chains (low
 * halves, high halves), which is what keeps the carries cheap. */
static inline __attribute__((always_inline)) void fe_mul_p(fe_t *r, const fe_t *a, const fe_t *b, const uint64_t p[4],
                            uint64_t pinv) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t bi = b->l[i], h0, h1, h2, h3, l0, l1, l2, l3, m, drop;
        unsigned char c;
        l0 = l2_mul_wide(a->l[0], bi, &h0);
        l1 = l2_mul_wide(a->l[1], bi, &h1);
        l2 = l2_mul_wide(a->l[2], bi, &h2);
        l3 = l2_mul_wide(a->l[3], bi, &h3);
        c = l2_addc(0, t0, l0, &t0);
        c = l2_addc(c, t1, l1, &t1);
        c = l2_addc(c, t2, l2, &t2);
        c = l2_addc(c, t3, l3, &t3);
        l2_addc(c, t4, 0, &t4);
        c = l2_addc(0, t1, h0, &t1);
        c = l2_addc(c, t2, h1, &t2);
        c = l2_addc(c, t3, h2, &t3);
        l2_addc(c, t4, h3, &t4);
        m = t0 * pinv;
        l0 = l2_mul_wide(m, p[0], &h0);
        l1 = l2_mul_wide(m, p[1], &h1);
        l2 = l2_mul_wide(m, p[2], &h2);
        l3 = l2_mul_wide(m, p[3], &h3);
        c = l2_addc(0, t0, l0, &drop); /* zero by the choice of m; only the carry counts */
        c = l2_addc(c, t1, l1, &t1);
        c = l2_addc(c, t2, l2, &t2);
        c = l2_addc(c, t3, l3, &t3);
        l2_addc(c, t4, 0, &t4);
        c = l2_addc(0, t1, h0, &t0);
        c = l2_addc(c, t2, h1, &t1);
        c = l2_addc(c, t3, h2, &t2);
        l2_addc(c, t4, h3, &t3);
        t4 = 0;
    }
    const uint64_t t[4] = {t0, t1, t2, t3};
    fe_reduce_once(r, t, p); /* t < 2p because p < 2^254 */
}

#include "bn254_field_adx.h"

/* ---------------------------------------------------------------- Fq */

static inline void fq_add(fe_t *r, const fe_t *a, const fe_t *b) { fe_add_p(r, a, b, FQ_P); }
static inline void fq_sub(fe_t *r, const fe_t *a, const fe_t *b) { fe_sub_p(r, a, b, FQ_P); }
/* The products are out of line on purpose: inlined into large loops, gcc
 * spills the adc chains and the kernels run up to twice as slow. */
static __attribute__((noinline)) void fq_mul(fe_t *r, const fe_t *a, const fe_t *b) {
#ifdef L2_HAVE_ADX_ASM
    if (l2_cpu_has_adx) {
        fe_mul_adx(r, a, b, FQ_P, &FQ_INV);
        return;
    }
#endif
    fe_mul_p(r, a, b, FQ_P, FQ_INV);
}
static __attribute__((noinline)) void fq_sqr(fe_t *r, const fe_t *a) {
#ifdef L2_HAVE_ADX_ASM
    if (l2_cpu_has_adx) {
        fe_mul_adx(r, a, a, FQ_P, &FQ_INV);
        return;
    }
#endif
    fe_mul_p(r, a, a, FQ_P, FQ_INV);
}
static inline void fq_dbl(fe_t *r, const fe_t *a) { fe_add_p(r, a, a, FQ_P); }
static inline void fq_neg(fe_t *r, const fe_t *a) {
    static const fe_t zero = {{0, 0, 0, 0}};
    fe_sub_p(r, &zero, a, FQ_P);
}
static inline void fq_to_mont(fe_t *r, const fe_t *a) { fq_mul(r, a, &FQ_R2); }
static inline void fq_from_mont(fe_t *r, const fe_t *a) {
    static const fe_t one = {{1, 0, 0, 0}};
    fq_mul(r, a, &one);
}

static const fe_t FQ_R3 = {{0xb1cd6dafda1530dfULL, 0x62f210e6a7283db6ULL,
                            0xef7f0b0c0ada0afbULL, 0x20fd6e902d592544ULL}}; /* 2^768 mod Q */

static inline int fe_is_one_plain(const fe_t *a) {
    return a->l[0] == 1 && (a->l[1] | a->l[2] | a->l[3]) == 0;
}

/* a >>= 1, or (a + p) >> 1 when a is odd: halving mod p (a < p < 2^255). */
static inline void fe_half_p(fe_t *a, const uint64_t p[4]) {
    const uint64_t mask = (uint64_t)0 - (a->l[0] & 1);
    uint64_t t[4];
    unsigned char c = l2_addc(0, a->l[0], p[0] & mask, &t[0]);
    c = l2_addc(c, a->l[1], p[1] & mask, &t[1]);
    c = l2_addc(c, a->l[2], p[2] & mask, &t[2]);
    l2_addc(c, a->l[3], p[3] & mask, &t[3]);
    a->l[0] = (t[0] >> 1) | (t[1] << 63);
    a->l[1] = (t[1] >> 1) | (t[2] << 63);
    a->l[2] = (t[2] >> 1) | (t[3] << 63);
    a->l[3] = t[3] >> 1;
}

static inline void fe_shr1(fe_t *a) {
    a->l[0] = (a->l[0] >> 1) | (a->l[1] << 63);
    a->l[1] = (a->l[1] >> 1) | (a->l[2] << 63);
    a->l[2] = (a->l[2] >> 1) | (a->l[3] << 63);
    a->l[3] >>= 1;
}

static inline int fe_geq(const fe_t *a, const fe_t *b) {
    for (int i = 3; i >= 0; i--) {
        if (a->l[i] != b->l[i]) return a->l[i] > b->l[i];
    }
    return 1;
}

/* 1/a in Montgomery form by the binary extended Euclidean algorithm (several
 * times faster than a^(Q-2)); 0 maps to 0. It inverts the plain number aR,
 * giving a^-1 R^-1, and one Montgomery product with R^3 restores a^-1 R. */
static __attribute__((noinline)) void fq_inv(fe_t *r, const fe_t *a) {
    static const fe_t zero = {{0, 0, 0, 0}};
    if (fe_is_zero(a)) {
        *r = zero;
        return;
    }
    fe_t u = *a, v, x1 = {{1, 0, 0, 0}}, x2 = zero;
    memcpy(v.l, FQ_P, 32);
    while (!fe_is_one_plain(&u) && !fe_is_one_plain(&v)) {
        while (!(u.l[0] & 1)) {
            fe_shr1(&u);
            fe_half_p(&x1, FQ_P);
        }
        while (!(v.l[0] & 1)) {
            fe_shr1(&v);
            fe_half_p(&x2, FQ_P);
        }
        if (fe_geq(&u, &v)) {
            fe_sub_p(&u, &u, &v, FQ_P); /* u >= v: a plain subtraction, no wrap */
            fe_sub_p(&x1, &x1, &x2, FQ_P);
        } else {
            fe_sub_p(&v, &v, &u, FQ_P);
            fe_sub_p(&x2, &x2, &x1, FQ_P);
        }
    }
    fq_mul(r, fe_is_one_plain(&u) ? &x1 : &x2, &FQ_R3);
}

/* ---------------------------------------------------------------- Fr */

static inline void fr_add(fe_t *r, const fe_t *a, const fe_t *b) { fe_add_p(r, a, b, FR_P); }
static inline void fr_sub(fe_t *r, const fe_t *a, const fe_t *b) { fe_sub_p(r, a, b, FR_P); }
static __attribute__((noinline)) void fr_mul(fe_t *r, const fe_t *a, const fe_t *b) {
#ifdef L2_HAVE_ADX_ASM
    if (l2_cpu_has_adx) {
        fe_mul_adx(r, a, b, FR_P, &FR_INV);
        return;
    }
#endif
    fe_mul_p(r, a, b, FR_P, FR_INV);
}
static inline void fr_to_mont(fe_t *r, const fe_t *a) { fr_mul(r, a, &FR_R2); }

/* ---------------------------------------------------------------- Fq2 */

static inline void fq2_add(fq2_t *r, const fq2_t *a, const fq2_t *b) {
    fq_add(&r->c0, &a->c0, &b->c0);
    fq_add(&r->c1, &a->c1, &b->c1);
}
static inline void fq2_sub(fq2_t *r, const fq2_t *a, const fq2_t *b) {
    fq_sub(&r->c0, &a->c0, &b->c0);
    fq_sub(&r->c1, &a->c1, &b->c1);
}
static inline void fq2_dbl(fq2_t *r, const fq2_t *a) {
    fq_dbl(&r->c0, &a->c0);
    fq_dbl(&r->c1, &a->c1);
}
static inline void fq2_neg(fq2_t *r, const fq2_t *a) {
    fq_neg(&r->c0, &a->c0);
    fq_neg(&r->c1, &a->c1);
}
/* Karatsuba: three Fq products instead of four. */
static inline void fq2_mul(fq2_t *r, const fq2_t *a, const fq2_t *b) {
    fe_t t0, t1, sa, sb;
    fq_mul(&t0, &a->c0, &b->c0);
    fq_mul(&t1, &a->c1, &b->c1);
    fq_add(&sa, &a->c0, &a->c1);
    fq_add(&sb, &b->c0, &b->c1);
    fq_mul(&sa, &sa, &sb);
    fq_sub(&r->c0, &t0, &t1);
    fq_sub(&sa, &sa, &t0);
    fq_sub(&r->c1, &sa, &t1);
}
/* (a0 + a1 i)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 i: two Fq products. */
static inline void fq2_sqr(fq2_t *r, const fq2_t *a) {
    fe_t s, d, m;
    fq_add(&s, &a->c0, &a->c1);
    fq_sub(&d, &a->c0, &a->c1);
    fq_mul(&m, &a->c0, &a->c1);
    fq_mul(&r->c0, &s, &d);
    fq_dbl(&r->c1, &m);
}
static inline int fq2_is_zero(const fq2_t *a) { return fe_is_zero(&a->c0) && fe_is_zero(&a->c1); }
static inline int fq2_eq(const fq2_t *a, const fq2_t *b) {
    return fe_eq(&a->c0, &b->c0) && fe_eq(&a->c1, &b->c1);
}
/* 1/(a0 + a1 i) = (a0 - a1 i) / (a0^2 + a1^2). */
static inline void fq2_inv(fq2_t *r, const fq2_t *a) {
    fe_t n0, n1, d;
    fq_sqr(&n0, &a->c0);
    fq_sqr(&n1, &a->c1);
    fq_add(&d, &n0, &n1);
    fq_inv(&d, &d);
    fq_mul(&r->c0, &a->c0, &d);
    fq_mul(&d, &a->c1, &d);
    fq_neg(&r->c1, &d);
}

#endif
