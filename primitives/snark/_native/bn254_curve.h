/* Short-Weierstrass (a = 0) point arithmetic, written once for G1 and G2.
 *
 * A template: the includer defines CURVE (the name prefix), F (the field type)
 * and the F_* operations, then includes this file; bn254_kernels.h does so for
 * G1 over Fq and for G2 over Fq2. Points are affine (AFF, (0, 0) is infinity,
 * as in EIP-196) or Jacobian (JAC: x = X/Z^2, y = Y/Z^3, Z = 0 is infinity).
 */
#ifndef CURVE
#error "define CURVE, F and the F_* operations before including bn254_curve.h"
#endif

#define L2_CAT2(a, b) a##b
#define L2_CAT(a, b) L2_CAT2(a, b)
#define FN(name) L2_CAT(CURVE, name)
#define AFF FN(_aff)
#define JAC FN(_jac)

typedef struct { F x, y; } AFF;
typedef struct { F x, y, z; } JAC;

static inline void FN(_set_zero)(JAC *p) {
    p->x = F_ONE;
    p->y = F_ONE;
    memset(&p->z, 0, sizeof(F));
}

static inline int FN(_is_zero)(const JAC *p) { return F_IS_ZERO(&p->z); }

static inline int FN(_aff_is_zero)(const AFF *p) { return F_IS_ZERO(&p->x) && F_IS_ZERO(&p->y); }

static inline void FN(_from_aff)(JAC *r, const AFF *a) {
    if (FN(_aff_is_zero)(a)) {
        FN(_set_zero)(r);
        return;
    }
    r->x = a->x;
    r->y = a->y;
    r->z = F_ONE;
}

/* y^2 == x^3 + b, or the infinity (0, 0). */
static inline int FN(_on_curve)(const AFF *a) {
    F l, r;
    if (FN(_aff_is_zero)(a)) return 1;
    F_SQR(&l, &a->y);
    F_SQR(&r, &a->x);
    F_MUL(&r, &r, &a->x);
    F_ADD(&r, &r, &F_B);
    return F_EQ(&l, &r);
}

static inline void FN(_neg_aff)(AFF *r, const AFF *a) {
    r->x = a->x;
    F_NEG(&r->y, &a->y);
}

/* 2p, "dbl-2009-l": 2M + 5S. */
static inline void FN(_dbl)(JAC *out, const JAC *in) {
    F a, b, c, d, e, f, t;
    if (FN(_is_zero)(in) || F_IS_ZERO(&in->y)) {
        FN(_set_zero)(out);
        return;
    }
    /* Work on local copies: through pointers every store could alias the
     * next load, and the compiler would reload each operand. */
    JAC pv = *in, rv;
    const JAC *p = &pv;
    JAC *r = &rv;
    F_SQR(&a, &p->x);
    F_SQR(&b, &p->y);
    F_SQR(&c, &b);
    F_ADD(&d, &p->x, &b);
    F_SQR(&d, &d);
    F_SUB(&d, &d, &a);
    F_SUB(&d, &d, &c);
    F_DBL(&d, &d);
    F_DBL(&e, &a);
    F_ADD(&e, &e, &a);
    F_SQR(&f, &e);
    F_MUL(&t, &p->y, &p->z); /* before r->x is written: r may alias p */
    F_DBL(&r->z, &t);
    F_DBL(&t, &d);
    F_SUB(&r->x, &f, &t);
    F_SUB(&t, &d, &r->x);
    F_MUL(&t, &e, &t);
    F_DBL(&c, &c);
    F_DBL(&c, &c);
    F_DBL(&c, &c);
    F_SUB(&r->y, &t, &c);
    *out = rv;
}

/* p + q with q affine: 8M + 3S; doubling and p = -q handled. */
static inline void FN(_add_mixed)(JAC *out, const JAC *in, const AFF *qin) {
    F zz, u2, s2, h, rr, hh, hhh, v, t;
    if (FN(_aff_is_zero)(qin)) {
        if (out != in) *out = *in;
        return;
    }
    if (FN(_is_zero)(in)) {
        FN(_from_aff)(out, qin);
        return;
    }
    JAC pv = *in, rv;
    AFF qv = *qin;
    const JAC *p = &pv;
    const AFF *q = &qv;
    JAC *r = &rv;
    F_SQR(&zz, &p->z);
    F_MUL(&u2, &q->x, &zz);
    F_MUL(&s2, &q->y, &zz);
    F_MUL(&s2, &s2, &p->z);
    F_SUB(&h, &u2, &p->x);
    F_SUB(&rr, &s2, &p->y);
    if (F_IS_ZERO(&h)) {
        if (F_IS_ZERO(&rr)) {
            FN(_dbl)(out, p);
        } else {
            FN(_set_zero)(out);
        }
        return;
    }
    F_SQR(&hh, &h);
    F_MUL(&hhh, &h, &hh);
    F_MUL(&v, &p->x, &hh);
    F_MUL(&t, &p->y, &hhh);
    F_MUL(&r->z, &p->z, &h);
    F_SQR(&r->x, &rr);
    F_SUB(&r->x, &r->x, &hhh);
    F_SUB(&r->x, &r->x, &v);
    F_SUB(&r->x, &r->x, &v);
    F_SUB(&v, &v, &r->x);
    F_MUL(&v, &rr, &v);
    F_SUB(&r->y, &v, &t);
    *out = rv;
}

/* p + q, both Jacobian: 12M + 4S; doubling and infinities handled. */
static inline void FN(_add)(JAC *out, const JAC *pin, const JAC *qin) {
    F z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, t;
    if (FN(_is_zero)(pin)) {
        if (out != qin) *out = *qin;
        return;
    }
    if (FN(_is_zero)(qin)) {
        if (out != pin) *out = *pin;
        return;
    }
    JAC pv = *pin, qv = *qin, rv;
    const JAC *p = &pv, *q = &qv;
    JAC *r = &rv;
    F_SQR(&z1z1, &p->z);
    F_SQR(&z2z2, &q->z);
    F_MUL(&u1, &p->x, &z2z2);
    F_MUL(&u2, &q->x, &z1z1);
    F_MUL(&s1, &p->y, &q->z);
    F_MUL(&s1, &s1, &z2z2);
    F_MUL(&s2, &q->y, &p->z);
    F_MUL(&s2, &s2, &z1z1);
    F_SUB(&h, &u2, &u1);
    F_SUB(&rr, &s2, &s1);
    if (F_IS_ZERO(&h)) {
        if (F_IS_ZERO(&rr)) {
            FN(_dbl)(out, p);
        } else {
            FN(_set_zero)(out);
        }
        return;
    }
    F_SQR(&hh, &h);
    F_MUL(&hhh, &h, &hh);
    F_MUL(&v, &u1, &hh);
    F_MUL(&t, &p->z, &q->z);
    F_MUL(&r->z, &t, &h);
    F_MUL(&s1, &s1, &hhh);
    F_SQR(&r->x, &rr);
    F_SUB(&r->x, &r->x, &hhh);
    F_SUB(&r->x, &r->x, &v);
    F_SUB(&r->x, &r->x, &v);
    F_SUB(&v, &v, &r->x);
    F_MUL(&v, &rr, &v);
    F_SUB(&r->y, &v, &s1);
    *out = rv;
}

static inline void FN(_to_aff)(AFF *r, const JAC *p) {
    F zi, zi2;
    if (FN(_is_zero)(p)) {
        memset(r, 0, sizeof(AFF));
        return;
    }
    F_INV(&zi, &p->z);
    F_SQR(&zi2, &zi);
    F_MUL(&r->x, &p->x, &zi2);
    F_MUL(&zi2, &zi2, &zi);
    F_MUL(&r->y, &p->y, &zi2);
}

/* Affine forms of n Jacobian points with one inversion (Montgomery's trick).
 * scratch holds n field elements; infinities become (0, 0). */
static void FN(_batch_to_aff)(AFF *out, const JAC *in, size_t n, F *scratch) {
    F acc = F_ONE, inv, zi, zi2;
    for (size_t i = 0; i < n; i++) {
        scratch[i] = acc; /* product of the non-zero z before i */
        if (!FN(_is_zero)(&in[i])) F_MUL(&acc, &acc, &in[i].z);
    }
    F_INV(&inv, &acc);
    for (size_t k = n; k-- > 0;) {
        if (FN(_is_zero)(&in[k])) {
            memset(&out[k], 0, sizeof(AFF));
            continue;
        }
        F_MUL(&zi, &inv, &scratch[k]);
        F_MUL(&inv, &inv, &in[k].z);
        F_SQR(&zi2, &zi);
        F_MUL(&out[k].x, &in[k].x, &zi2);
        F_MUL(&zi2, &zi2, &zi);
        F_MUL(&out[k].y, &in[k].y, &zi2);
    }
}
