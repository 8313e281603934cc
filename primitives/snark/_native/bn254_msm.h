/* Multi-scalar multiplication (Pippenger with signed digits, Jacobian or
 * batch-affine buckets), written once for G1 and G2: a template included after
 * bn254_curve.h with the same CURVE / F definitions. Scalars are four plain
 * (non-Montgomery) limbs, already reduced mod r, so they have at most 254 bits.
 */

#define SCALAR_BITS 254

/* c bits of a 256-bit scalar starting at bit off (zero past the top). */
static inline uint32_t FN(_scalar_bits)(const uint64_t s[4], int off, int c) {
    int limb = off >> 6, sh = off & 63;
    if (limb >= 4) return 0;
    uint64_t v = s[limb] >> sh;
    if (sh + c > 64 && limb + 1 < 4) v |= s[limb + 1] << (64 - sh);
    return (uint32_t)(v & (((uint64_t)1 << c) - 1));
}

/* ---------------------------------------------------------------- Pippenger */

typedef struct {
    const AFF *points;
    const int32_t *digits; /* nw rows of n signed digits, row w for window w */
    size_t n;
    int c, nw, tid, nthreads, failed;
    JAC *sums;             /* sum of digit * point for each window */
} FN(_msm_job);

/* Batch-affine bucket accumulation: additions into distinct buckets are
 * collected, their denominators inverted together (Montgomery's trick), and
 * applied as affine additions; about 6 multiplications each instead of the 11
 * of a mixed Jacobian addition. A point whose bucket already waits in the
 * batch goes to a short pending list, retried after the flush, or, when that
 * list is full, into a Jacobian overflow bucket, so no input degrades it. */
#define BA_BATCH 256

typedef struct {
    AFF *bucket;           /* affine bucket sums, valid where has[b] */
    JAC *overflow;         /* Jacobian bucket sums of the points that met a busy bucket */
    uint8_t *has;
    uint32_t *stamp;       /* the batch number a bucket is waiting in */
    uint32_t now;          /* the current batch number */
    uint32_t bidx[BA_BATCH];
    AFF bpt[BA_BATCH];     /* the point to add to bucket bidx[k] */
    F den[BA_BATCH], pre[BA_BATCH];
    int count;
    AFF pend_pt[BA_BATCH];
    uint32_t pend_idx[BA_BATCH];
    int npend;
} FN(_ba_state);

/* Apply the collected additions with one inversion. Values are copied into
 * locals first: through pointers the compiler must assume every store may
 * alias the next load, and reloads each operand. */
static void FN(_ba_flush)(FN(_ba_state) *st) {
    const int count = st->count;
    AFF *const bucket = st->bucket;
    F acc = F_ONE, inv, dinv, lambda, t, d;
    for (int k = 0; k < count; k++) {
        F bx = bucket[st->bidx[k]].x, qx = st->bpt[k].x;
        F_SUB(&d, &qx, &bx);
        st->den[k] = d;
        st->pre[k] = acc;
        F_MUL(&acc, &acc, &d);
    }
    F_INV(&inv, &acc);
    for (int k = count; k-- > 0;) {
        AFF b = bucket[st->bidx[k]], q = st->bpt[k];
        F pre = st->pre[k], den = st->den[k], x3, y3;
        F_MUL(&dinv, &inv, &pre);
        F_MUL(&inv, &inv, &den);
        F_SUB(&t, &q.y, &b.y);
        F_MUL(&lambda, &t, &dinv);
        F_SQR(&t, &lambda);
        F_SUB(&t, &t, &b.x);
        F_SUB(&x3, &t, &q.x);
        F_SUB(&t, &b.x, &x3);
        F_MUL(&t, &lambda, &t);
        F_SUB(&y3, &t, &b.y); /* y3 = lambda (x1 - x3) - y1 */
        bucket[st->bidx[k]].x = x3;
        bucket[st->bidx[k]].y = y3;
    }
    st->count = 0;
    st->now++;
}

/* Add q to bucket b now (empty bucket, doubling, cancellation) or queue it. */
static void FN(_ba_add)(FN(_ba_state) *st, uint32_t b, const AFF *q) {
    if (!st->has[b]) {
        st->bucket[b] = *q;
        st->has[b] = 1;
        return;
    }
    if (st->stamp[b] == st->now) { /* busy in this batch */
        if (st->npend < BA_BATCH) {
            st->pend_idx[st->npend] = b;
            st->pend_pt[st->npend++] = *q;
        } else {
            FN(_add_mixed)(&st->overflow[b], &st->overflow[b], q);
        }
        return;
    }
    if (F_EQ(&st->bucket[b].x, &q->x)) { /* rare: q = bucket (double) or q = -bucket */
        if (F_EQ(&st->bucket[b].y, &q->y)) {
            JAC j;
            FN(_from_aff)(&j, q);
            FN(_dbl)(&j, &j);
            FN(_to_aff)(&st->bucket[b], &j);
            st->has[b] = !FN(_is_zero)(&j);
        } else {
            st->has[b] = 0;
        }
        return;
    }
    st->stamp[b] = st->now;
    st->bidx[st->count] = b;
    st->bpt[st->count++] = *q;
    if (st->count == BA_BATCH) {
        FN(_ba_flush)(st);
        /* retry what waited; what meets a busy bucket again waits again */
        int np = st->npend;
        AFF pts[BA_BATCH];
        uint32_t idx[BA_BATCH];
        memcpy(pts, st->pend_pt, np * sizeof(AFF));
        memcpy(idx, st->pend_idx, np * sizeof(uint32_t));
        st->npend = 0;
        for (int k = 0; k < np; k++) FN(_ba_add)(st, idx[k], &pts[k]);
    }
}

static void *FN(_msm_worker_ba)(void *arg) {
    FN(_msm_job) *job = (FN(_msm_job) *)arg;
    size_t nb = (size_t)1 << (job->c - 1);
    FN(_ba_state) *st = (FN(_ba_state) *)malloc(sizeof(FN(_ba_state)));
    AFF *bucket = (AFF *)malloc(nb * sizeof(AFF));
    JAC *overflow = (JAC *)malloc(nb * sizeof(JAC));
    uint8_t *has = (uint8_t *)malloc(nb);
    uint32_t *stamp = (uint32_t *)malloc(nb * sizeof(uint32_t));
    if (st == NULL || bucket == NULL || overflow == NULL || has == NULL || stamp == NULL) {
        job->failed = 1;
    } else {
        for (int w = job->tid; w < job->nw; w += job->nthreads) {
            const int32_t *dw = job->digits + (size_t)w * job->n;
            st->bucket = bucket;
            st->overflow = overflow;
            st->has = has;
            st->stamp = stamp;
            st->now = 1;
            st->count = 0;
            st->npend = 0;
            memset(has, 0, nb);
            memset(stamp, 0, nb * sizeof(uint32_t));
            for (size_t b = 0; b < nb; b++) FN(_set_zero)(&overflow[b]);
            for (size_t i = 0; i < job->n; i++) {
                int32_t d = dw[i];
                if (d > 0) {
                    FN(_ba_add)(st, (uint32_t)(d - 1), &job->points[i]);
                } else if (d < 0) {
                    AFF neg;
                    FN(_neg_aff)(&neg, &job->points[i]);
                    FN(_ba_add)(st, (uint32_t)(-d - 1), &neg);
                }
            }
            while (st->count > 0 || st->npend > 0) {
                int np = st->npend;
                AFF pts[BA_BATCH];
                uint32_t idx[BA_BATCH];
                FN(_ba_flush)(st);
                memcpy(pts, st->pend_pt, np * sizeof(AFF));
                memcpy(idx, st->pend_idx, np * sizeof(uint32_t));
                st->npend = 0;
                for (int k = 0; k < np; k++) FN(_ba_add)(st, idx[k], &pts[k]);
            }
            JAC running, sum;
            FN(_set_zero)(&running);
            FN(_set_zero)(&sum);
            for (size_t b = nb; b-- > 0;) {
                if (has[b]) FN(_add_mixed)(&running, &running, &bucket[b]);
                if (!FN(_is_zero)(&overflow[b])) FN(_add)(&running, &running, &overflow[b]);
                FN(_add)(&sum, &sum, &running);
            }
            job->sums[w] = sum;
        }
    }
    free(st);
    free(bucket);
    free(overflow);
    free(has);
    free(stamp);
    return NULL;
}

/* The windows tid, tid + nthreads, ...: bucket accumulation with mixed
 * additions, then sum_b b * bucket[b] as two running sums. */
static void *FN(_msm_worker)(void *arg) {
    FN(_msm_job) *job = (FN(_msm_job) *)arg;
    size_t nb = (size_t)1 << (job->c - 1);
    JAC *buckets = (JAC *)malloc(nb * sizeof(JAC));
    if (buckets == NULL) {
        job->failed = 1;
        return NULL;
    }
    for (int w = job->tid; w < job->nw; w += job->nthreads) {
        const int32_t *dw = job->digits + (size_t)w * job->n;
        for (size_t b = 0; b < nb; b++) FN(_set_zero)(&buckets[b]);
        for (size_t i = 0; i < job->n; i++) {
            int32_t d = dw[i];
            if (d > 0) {
                FN(_add_mixed)(&buckets[d - 1], &buckets[d - 1], &job->points[i]);
            } else if (d < 0) {
                AFF neg;
                FN(_neg_aff)(&neg, &job->points[i]);
                FN(_add_mixed)(&buckets[-d - 1], &buckets[-d - 1], &neg);
            }
        }
        JAC running, sum;
        FN(_set_zero)(&running);
        FN(_set_zero)(&sum);
        for (size_t b = nb; b-- > 0;) {
            FN(_add)(&running, &running, &buckets[b]);
            FN(_add)(&sum, &sum, &running);
        }
        job->sums[w] = sum;
    }
    free(buckets);
    return NULL;
}

/* Window width minimising windows * (points + bucket reduction), where the
 * reduction costs two full additions (about 1.5 mixed ones each) per bucket. */
static int FN(_msm_window)(size_t n, int bits) {
    int best = 2;
    double best_cost = 1e300;
    for (int c = 2; c <= 16; c++) {
        int nw = (bits + 1 + c - 1) / c;
        double cost = (double)nw * ((double)n + 3.0 * (double)((size_t)1 << (c - 1)));
        if (cost < best_cost) {
            best_cost = cost;
            best = c;
        }
    }
    return best;
}

/* result = sum scalars[i] * points[i]; points affine (Montgomery), finite or
 * (0, 0). batch_affine picks the batch-affine bucket accumulation, which
 * pays off from about a thousand points. Returns 0, or -1 when memory ran out. */
static int FN(_msm)(JAC *result, const AFF *points, const uint64_t *scalars, size_t n,
                    int nthreads, int batch_affine) {
    FN(_set_zero)(result);
    if (n == 0) return 0;
    /* Only as many windows as the longest scalar needs: short scalars (the
     * weights of a batched subgroup check) skip the empty top windows. */
    uint64_t top[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) top[k] |= scalars[4 * i + k];
    int bits = 0;
    for (int k = 3; k >= 0 && bits == 0; k--)
        if (top[k]) bits = 64 * k + 64 - __builtin_clzll(top[k]);
    if (bits == 0) return 0;
    int c = FN(_msm_window)(n, bits);
    /* Batch-affine buckets need several times more buckets than a batch
     * holds, or points keep meeting busy buckets; measured best from 2^10. */
    while (batch_affine && ((size_t)1 << (c - 1)) < 2 * BA_BATCH) c++;
    /* Signed digits in [-2^(c-1), 2^(c-1)] halve the buckets; ceil(255 / c)
     * windows leave room for the last carry. */
    int nw = (bits + 1 + c - 1) / c;
    int32_t *digits = (int32_t *)malloc((size_t)nw * n * sizeof(int32_t));
    JAC *sums = (JAC *)malloc((size_t)nw * sizeof(JAC));
    if (digits == NULL || sums == NULL) {
        free(digits);
        free(sums);
        return -1;
    }
    const int32_t half = 1 << (c - 1), full = 1 << c;
    for (size_t i = 0; i < n; i++) {
        const uint64_t *s = scalars + 4 * i;
        int32_t carry = 0;
        int skip = FN(_aff_is_zero)(&points[i]);
        for (int w = 0; w < nw; w++) {
            int32_t d = (int32_t)FN(_scalar_bits)(s, w * c, c) + carry;
            carry = d > half;
            if (carry) d -= full;
            digits[(size_t)w * n + i] = skip ? 0 : d;
        }
    }
    if (nthreads < 1) nthreads = 1;
    if (nthreads > nw) nthreads = nw;
    if (nthreads > L2_MAX_THREADS) nthreads = L2_MAX_THREADS;
    FN(_msm_job) jobs[L2_MAX_THREADS];
    for (int t = 0; t < nthreads; t++) {
        FN(_msm_job) j = {points, digits, n, c, nw, t, nthreads, 0, sums};
        jobs[t] = j;
    }
    l2_run_parallel(batch_affine ? FN(_msm_worker_ba) : FN(_msm_worker), jobs, sizeof(jobs[0]),
                    nthreads);
    int failed = 0;
    for (int t = 0; t < nthreads; t++) failed |= jobs[t].failed;
    if (!failed) {
        JAC acc = sums[nw - 1];
        for (int w = nw - 2; w >= 0; w--) {
            for (int k = 0; k < c; k++) FN(_dbl)(&acc, &acc);
            FN(_add)(&acc, &acc, &sums[w]);
        }
        *result = acc;
    }
    free(digits);
    free(sums);
    return failed ? -1 : 0;
}
