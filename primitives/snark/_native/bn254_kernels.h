/* The BN254 prover kernels behind primitives/snark/_kernels_c.pyx.
 *
 * Instantiates the curve and MSM templates for G1 (over Fq) and G2 (over Fq2)
 * and exposes byte-buffer entry points: every field element crosses the
 * boundary as 32 little-endian bytes in plain (not Montgomery) form, so the
 * Python side only packs and unpacks ints. Entry points never touch Python
 * objects and are called without the GIL.
 */
#ifndef L2LAB_BN254_KERNELS_H
#define L2LAB_BN254_KERNELS_H

#include <stdlib.h>
#include <string.h>

#include "bn254_field.h"
#include "bn254_thread.h"
#include "bn254_fft.h"

/* Curve constants b (Montgomery form): 3 for G1, 3 / (9 + i) for the G2 twist. */
static const fe_t G1_B = {{0x7a17caa950ad28d7ULL, 0x1f6ac17ae15521b9ULL, 0x334bea4e696bd284ULL,
                           0x2a1f6744ce179d8eULL}};
static const fq2_t G2_B = {{{0x3bf938e377b802a8ULL, 0x020b1b273633535dULL,
                             0x26b7edf049755260ULL, 0x2514c6324384a86dULL}},
                           {{0x38e7ecccd1dcff67ULL, 0x65f0b37d93ce0d3eULL,
                             0xd749d0dd22ac00aaULL, 0x0141b9ce4a688d4dULL}}};
static const fq2_t FQ2_ONE = {{{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                                0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}},
                              {{0, 0, 0, 0}}};

/* ---------------------------------------------------------------- G1 */
#define CURVE g1
#define F fe_t
#define F_ONE FQ_ONE
#define F_B G1_B
#define F_ADD fq_add
#define F_SUB fq_sub
#define F_DBL fq_dbl
#define F_NEG fq_neg
#define F_MUL fq_mul
#define F_SQR fq_sqr
#define F_INV fq_inv
#define F_IS_ZERO fe_is_zero
#define F_EQ fe_eq
#include "bn254_group.h"

/* ---------------------------------------------------------------- G2 */
#define CURVE g2
#define F fq2_t
#define F_ONE FQ2_ONE
#define F_B G2_B
#define F_ADD fq2_add
#define F_SUB fq2_sub
#define F_DBL fq2_dbl
#define F_NEG fq2_neg
#define F_MUL fq2_mul
#define F_SQR fq2_sqr
#define F_INV fq2_inv
#define F_IS_ZERO fq2_is_zero
#define F_EQ fq2_eq
#include "bn254_group.h"

/* ---------------------------------------------------------------- boundary */

#define L2_OK 0
#define L2_NOT_CANONICAL 1   /* a coordinate >= Q */
#define L2_NOT_ON_CURVE 2
#define L2_OUT_OF_RANGE 3  /* an index past its vector */
#define L2_NO_MEMORY (-1)

/* A plain little-endian element into Montgomery form, refusing values >= p. */
static inline int l2_load_fq(fe_t *r, const uint8_t *raw) {
    fe_t v;
    memcpy(v.l, raw, 32);
    if (!fe_lt(&v, FQ_P)) return 0;
    fq_to_mont(r, &v);
    return 1;
}

static inline void l2_store_fq(uint8_t *raw, const fe_t *a) {
    fe_t v;
    fq_from_mont(&v, a);
    memcpy(raw, v.l, 32);
}

/* n G1 points of 64 bytes (x, y) into Montgomery affine form; on bad input
 * returns its kind and sets *bad to its index. */
static int l2_g1_load(g1_aff *out, const uint8_t *raw, size_t n, size_t *bad) {
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = raw + 64 * i;
        *bad = i;
        if (!l2_load_fq(&out[i].x, p) || !l2_load_fq(&out[i].y, p + 32)) return L2_NOT_CANONICAL;
        if (!g1_on_curve(&out[i])) return L2_NOT_ON_CURVE;
    }
    return L2_OK;
}

static void l2_g1_store(uint8_t *raw, const g1_aff *in, size_t n) {
    for (size_t i = 0; i < n; i++) {
        l2_store_fq(raw + 64 * i, &in[i].x);
        l2_store_fq(raw + 64 * i + 32, &in[i].y);
    }
}

/* n G2 points of 128 bytes (x.c0, x.c1, y.c0, y.c1). */
static int l2_g2_load(g2_aff *out, const uint8_t *raw, size_t n, size_t *bad) {
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = raw + 128 * i;
        *bad = i;
        if (!l2_load_fq(&out[i].x.c0, p) || !l2_load_fq(&out[i].x.c1, p + 32) ||
            !l2_load_fq(&out[i].y.c0, p + 64) || !l2_load_fq(&out[i].y.c1, p + 96))
            return L2_NOT_CANONICAL;
        if (!g2_on_curve(&out[i])) return L2_NOT_ON_CURVE;
    }
    return L2_OK;
}

static void l2_g2_store(uint8_t *raw, const g2_aff *in, size_t n) {
    for (size_t i = 0; i < n; i++) {
        l2_store_fq(raw + 128 * i, &in[i].x.c0);
        l2_store_fq(raw + 128 * i + 32, &in[i].x.c1);
        l2_store_fq(raw + 128 * i + 64, &in[i].y.c0);
        l2_store_fq(raw + 128 * i + 96, &in[i].y.c1);
    }
}

/* x mod r for any 256-bit x: at most five subtractions, as 2^256 < 6r. */
static inline void l2_reduce_fr(fe_t *x) {
    fe_t p;
    memcpy(p.l, FR_P, 32);
    while (!fe_lt(x, FR_P)) fr_sub(x, x, &p);
}

/* Scalars as aligned limbs reduced mod r (they arrive below 2^256). */
static uint64_t *l2_load_scalars(const uint8_t *raw, size_t n) {
    fe_t *s = (fe_t *)malloc((n ? n : 1) * 32);
    if (s != NULL) {
        memcpy(s, raw, n * 32);
        for (size_t i = 0; i < n; i++) l2_reduce_fr(&s[i]);
    }
    return (uint64_t *)s;
}

/* One MSM entry point per group: out (one point) = sum scalars[i] * points[i]. */
#define L2_MSM_ENTRY(G)                                                                   \
    static int l2_##G##_msm(uint8_t *out, const uint8_t *points, const uint8_t *scalars,  \
                            size_t n, int nthreads, int ba, size_t *bad) {               \
        G##_aff *pts = (G##_aff *)malloc((n ? n : 1) * sizeof(G##_aff));                 \
        uint64_t *s = l2_load_scalars(scalars, n);                                        \
        int rc = L2_NO_MEMORY;                                                            \
        if (pts != NULL && s != NULL) {                                                   \
            rc = l2_##G##_load(pts, points, n, bad);                                      \
            if (rc == L2_OK) {                                                            \
                G##_jac r;                                                                \
                G##_aff a;                                                                \
                rc = G##_msm(&r, pts, s, n, nthreads, ba);                                \
                G##_to_aff(&a, &r);                                                       \
                l2_##G##_store(out, &a, 1);                                               \
            }                                                                             \
        }                                                                                 \
        free(pts);                                                                        \
        free(s);                                                                          \
        return rc;                                                                        \
    }                                                                                     \
    static int l2_##G##_batch_mul(uint8_t *out, const uint8_t *base, const uint8_t *scalars, \
                                  size_t n, int nthreads) {                               \
        G##_aff b;                                                                        \
        size_t bad;                                                                       \
        int rc = l2_##G##_load(&b, base, 1, &bad);                                        \
        if (rc != L2_OK) return rc;                                                       \
        G##_aff *res = (G##_aff *)malloc((n ? n : 1) * sizeof(G##_aff));                 \
        uint64_t *s = l2_load_scalars(scalars, n);                                        \
        rc = L2_NO_MEMORY;                                                                \
        if (res != NULL && s != NULL) {                                                   \
            if (G##_aff_is_zero(&b)) {                                                    \
                memset(res, 0, n * sizeof(G##_aff));                                      \
                rc = L2_OK;                                                               \
            } else {                                                                      \
                rc = G##_batch_mul(res, &b, s, n, nthreads);                              \
            }                                                                             \
            if (rc == L2_OK) l2_##G##_store(out, res, n);                                 \
        }                                                                                 \
        free(res);                                                                        \
        free(s);                                                                          \
        return rc;                                                                        \
    }

L2_MSM_ENTRY(g1)
L2_MSM_ENTRY(g2)

/* In place over n plain Fr elements: values[j] *= pre^j, the NTT under omega,
 * then output i *= scale * post^i. fft is (pre = shift, scale = post = 1);
 * ifft is omega^-1 with (pre = 1, scale = 1/n, post = shift^-1), so a coset
 * costs one product per element. Values below 2^256 are reduced here; omega,
 * scale, pre and post arrive reduced. */
static int l2_fr_fft(uint8_t *values, size_t n, const uint8_t *omega, const uint8_t *scale,
                     const uint8_t *pre, const uint8_t *post, int nthreads) {
    fe_t *a = (fe_t *)malloc((n ? n : 1) * sizeof(fe_t));
    fe_t *tw = (fe_t *)malloc((n / 2 + 1) * sizeof(fe_t));
    if (a == NULL || tw == NULL) {
        free(a);
        free(tw);
        return L2_NO_MEMORY;
    }
    static const fe_t one = {{1, 0, 0, 0}};
    fe_t w, f, g, h, pw = FR_ONE;
    memcpy(w.l, omega, 32);
    memcpy(f.l, scale, 32);
    memcpy(g.l, pre, 32);
    memcpy(h.l, post, 32);
    const int shift_in = !fe_eq(&g, &one), shift_out = !fe_eq(&h, &one);
    fr_to_mont(&w, &w);
    fr_to_mont(&g, &g);
    fr_to_mont(&h, &h);
    for (size_t i = 0; i < n; i++) {
        memcpy(a[i].l, values + 32 * i, 32);
        l2_reduce_fr(&a[i]);
        fr_to_mont(&a[i], &a[i]);
        if (shift_in) {
            fr_mul(&a[i], &a[i], &pw); /* pw = pre^i, Montgomery form */
            fr_mul(&pw, &pw, &g);
        }
    }
    fr_ntt(a, n, &w, tw, nthreads);
    for (size_t i = 0; i < n; i++) {
        fr_mul(&a[i], &a[i], &f); /* (x R) * f / R = x f: plain again */
        if (shift_out) fr_mul(&f, &f, &h); /* f = scale * post^(i+1), plain */
        memcpy(values + 32 * i, a[i].l, 32);
    }
    free(a);
    free(tw);
    return L2_OK;
}

/* ---------------------------------------------------------------- packed keys
 *
 * Proving keys stay packed: each point as its coordinates back to back,
 * 32 bytes each, in one of three encodings. L2_ENC_LE is the kernels' own
 * (plain little-endian, what the MSM entry points take); L2_ENC_MONT is
 * snarkjs' (little-endian Montgomery form, x * 2^256 mod q); L2_ENC_BE is
 * l2lab's key files' (plain big-endian). */
#define L2_ENC_LE 0
#define L2_ENC_MONT 1
#define L2_ENC_BE 2

static inline void l2_swap32(uint8_t *w) {
    for (int i = 0; i < 16; i++) {
        uint8_t t = w[i];
        w[i] = w[31 - i];
        w[31 - i] = t;
    }
}

/* One coordinate in encoding enc into Montgomery form; 0 when not below q. */
static inline int l2_decode_fq(fe_t *r, const uint8_t *raw, int enc) {
    fe_t v;
    memcpy(v.l, raw, 32);
    if (enc == L2_ENC_BE) l2_swap32((uint8_t *)v.l);
    if (!fe_lt(&v, FQ_P)) return 0;
    if (enc == L2_ENC_MONT) *r = v;
    else fq_to_mont(r, &v);
    return 1;
}

static inline void l2_encode_fq(uint8_t *raw, const fe_t *m, int enc) {
    fe_t v;
    if (enc == L2_ENC_MONT) v = *m;
    else fq_from_mont(&v, m);
    memcpy(raw, v.l, 32);
    if (enc == L2_ENC_BE) l2_swap32(raw);
}

/* In place: n points of `words` coordinates from encoding enc to plain
 * little-endian, each checked canonical and on its curve (G1 when words is
 * 2, the twist when 4). On bad input returns its kind with *bad its point. */
static int l2_points_decode(uint8_t *raw, size_t n, int words, int enc, size_t *bad) {
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = raw + (size_t)32 * words * i;
        *bad = i;
        if (words == 2) {
            g1_aff a;
            if (!l2_decode_fq(&a.x, p, enc) || !l2_decode_fq(&a.y, p + 32, enc)) return L2_NOT_CANONICAL;
            if (!g1_on_curve(&a)) return L2_NOT_ON_CURVE;
            l2_store_fq(p, &a.x);
            l2_store_fq(p + 32, &a.y);
        } else {
            g2_aff a;
            if (!l2_decode_fq(&a.x.c0, p, enc) || !l2_decode_fq(&a.x.c1, p + 32, enc) ||
                !l2_decode_fq(&a.y.c0, p + 64, enc) || !l2_decode_fq(&a.y.c1, p + 96, enc))
                return L2_NOT_CANONICAL;
            if (!g2_on_curve(&a)) return L2_NOT_ON_CURVE;
            l2_store_fq(p, &a.x.c0);
            l2_store_fq(p + 32, &a.x.c1);
            l2_store_fq(p + 64, &a.y.c0);
            l2_store_fq(p + 96, &a.y.c1);
        }
    }
    return L2_OK;
}

/* In place: count plain little-endian coordinates (already canonical) into
 * encoding enc. */
static void l2_coords_encode(uint8_t *raw, size_t count, int enc) {
    if (enc == L2_ENC_LE) return;
    for (size_t i = 0; i < count; i++) {
        fe_t m;
        memcpy(m.l, raw + 32 * i, 32);
        fq_to_mont(&m, &m);
        l2_encode_fq(raw + 32 * i, &m, enc);
    }
}

/* ---------------------------------------------------------------- QAP rows */

static inline void l2_load_fr(fe_t *r, const uint8_t *raw) {
    memcpy(r->l, raw, 32);
    l2_reduce_fr(r);
}

/* out[k] (n plain words) = sum over entries e with row[e] = k of
 * table[id[e]] * w[sig[e]] mod r. Values arrive plain, below 2^256; rows,
 * signals and ids have been checked against n, nw and nt by the caller. */
static int l2_fr_rows(uint8_t *out, size_t n, const uint32_t *row, const uint32_t *sig,
                      const uint32_t *id, size_t count, const uint8_t *table, size_t nt,
                      const uint8_t *w, size_t nw) {
    fe_t *acc = (fe_t *)calloc(n ? n : 1, sizeof(fe_t));
    fe_t *tm = (fe_t *)malloc((nt ? nt : 1) * sizeof(fe_t));
    fe_t *wv = (fe_t *)malloc((nw ? nw : 1) * sizeof(fe_t));
    if (acc == NULL || tm == NULL || wv == NULL) {
        free(acc);
        free(tm);
        free(wv);
        return L2_NO_MEMORY;
    }
    for (size_t i = 0; i < nt; i++) {
        l2_load_fr(&tm[i], table + 32 * i);
        fr_to_mont(&tm[i], &tm[i]);
    }
    for (size_t i = 0; i < nw; i++) l2_load_fr(&wv[i], w + 32 * i);
    for (size_t e = 0; e < count; e++) {
        fe_t t;
        if (row[e] >= n || sig[e] >= nw || id[e] >= nt) {
            free(acc);
            free(tm);
            free(wv);
            return L2_OUT_OF_RANGE;
        }
        fr_mul(&t, &tm[id[e]], &wv[sig[e]]); /* (v R) w / R = v w, plain */
        fr_add(&acc[row[e]], &acc[row[e]], &t);
    }
    for (size_t i = 0; i < n; i++) memcpy(out + 32 * i, acc[i].l, 32);
    free(acc);
    free(tm);
    free(wv);
    return L2_OK;
}

/* out[i] = (a[i] b[i] - c[i]) k over n plain words (c NULL: zero); out may
 * be a, b or c. k arrives reduced. */
static void l2_fr_mul_sub(uint8_t *out, const uint8_t *a, const uint8_t *b, const uint8_t *c,
                          const uint8_t *k, size_t n) {
    fe_t km;
    memcpy(km.l, k, 32);
    fr_to_mont(&km, &km);
    for (size_t i = 0; i < n; i++) {
        fe_t x, y, z;
        l2_load_fr(&x, a + 32 * i);
        l2_load_fr(&y, b + 32 * i);
        fr_mul(&x, &x, &y);   /* a b / R */
        fr_mul(&x, &x, &FR_R2); /* a b */
        if (c != NULL) {
            l2_load_fr(&z, c + 32 * i);
            fr_sub(&x, &x, &z);
        }
        fr_mul(&x, &x, &km);
        memcpy(out + 32 * i, x.l, 32);
    }
}

#endif
