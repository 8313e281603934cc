/* Fixed-base batch multiplication [s * base for s in scalars], written once
 * for G1 and G2: a template included after bn254_msm.h (whose scalar_bits it
 * uses) with the same CURVE / F definitions. A window table of d * 2^(w j) *
 * base is built once; each scalar then costs one addition per window, done as
 * batch-affine additions across a chunk of scalars.
 */

#define BATCH_CHUNK 2048

typedef struct {
    const AFF *bases;      /* 2^(w j) * base for each window j */
    AFF *table;            /* row j: d * bases[j] for d in 1 .. 2^w - 1 */
    const uint64_t *scalars;
    AFF *out;
    size_t lo, hi;         /* scalars of this job */
    int w, nw, tid, nthreads, failed;
} FN(_fixed_job);

static void *FN(_table_worker)(void *arg) {
    FN(_fixed_job) *job = (FN(_fixed_job) *)arg;
    size_t rows = ((size_t)1 << job->w) - 1;
    JAC *row = (JAC *)malloc(rows * sizeof(JAC));
    F *scratch = (F *)malloc(rows * sizeof(F));
    if (row == NULL || scratch == NULL) {
        job->failed = 1;
    } else {
        for (int j = job->tid; j < job->nw; j += job->nthreads) {
            FN(_from_aff)(&row[0], &job->bases[j]);
            for (size_t d = 1; d < rows; d++) FN(_add_mixed)(&row[d], &row[d - 1], &job->bases[j]);
            FN(_batch_to_aff)(job->table + (size_t)j * rows, row, rows, scratch);
        }
    }
    free(row);
    free(scratch);
    return NULL;
}

/* acc[i] += t[k] for the listed accumulators, all distinct, as affine
 * additions sharing one inversion. Kept out of line: inlined into the large
 * worker loop, gcc spills the carry chains and it runs half as fast. */
static __attribute__((noinline)) void FN(_affine_add_batch)(AFF *acc, const uint32_t *idx, const AFF *const *t, int cnt,
                                  F *den, F *pre) {
    F run = F_ONE, inv, dinv, lambda, u, x3, y3;
    for (int k = 0; k < cnt; k++) {
        F ax = acc[idx[k]].x, tx = t[k]->x;
        F_SUB(&den[k], &tx, &ax);
        pre[k] = run;
        F_MUL(&run, &run, &den[k]);
    }
    F_INV(&inv, &run);
    for (int k = cnt; k-- > 0;) {
        AFF a = acc[idx[k]], b = *t[k];
        F p = pre[k], d = den[k];
        F_MUL(&dinv, &inv, &p);
        F_MUL(&inv, &inv, &d);
        F_SUB(&u, &b.y, &a.y);
        F_MUL(&lambda, &u, &dinv);
        F_SQR(&u, &lambda);
        F_SUB(&u, &u, &a.x);
        F_SUB(&x3, &u, &b.x);
        F_SUB(&u, &a.x, &x3);
        F_MUL(&u, &lambda, &u);
        F_SUB(&y3, &u, &a.y);
        acc[idx[k]].x = x3;
        acc[idx[k]].y = y3;
    }
}

/* Scalars lo .. hi in chunks: every scalar of a chunk adds its table entry
 * for window j in one batch of affine additions, one inversion per window. */
static void *FN(_scalar_worker)(void *arg) {
    FN(_fixed_job) *job = (FN(_fixed_job) *)arg;
    size_t rows = ((size_t)1 << job->w) - 1;
    AFF *acc = (AFF *)malloc(BATCH_CHUNK * sizeof(AFF));
    uint8_t *has = (uint8_t *)malloc(BATCH_CHUNK);
    uint32_t *idx = (uint32_t *)malloc(BATCH_CHUNK * sizeof(uint32_t));
    const AFF **tsel = (const AFF **)malloc(BATCH_CHUNK * sizeof(AFF *));
    F *den = (F *)malloc(BATCH_CHUNK * sizeof(F));
    F *pre = (F *)malloc(BATCH_CHUNK * sizeof(F));
    if (acc == NULL || has == NULL || idx == NULL || tsel == NULL || den == NULL || pre == NULL) {
        job->failed = 1;
    } else {
        for (size_t lo = job->lo; lo < job->hi; lo += BATCH_CHUNK) {
            size_t m = job->hi - lo < BATCH_CHUNK ? job->hi - lo : BATCH_CHUNK;
            memset(has, 0, m);
            for (int j = 0; j < job->nw; j++) {
                const AFF *row = job->table + (size_t)j * rows;
                int cnt = 0;
                for (size_t i = 0; i < m; i++) {
                    uint32_t d = FN(_scalar_bits)(job->scalars + 4 * (lo + i), j * job->w, job->w);
                    if (d == 0) continue;
                    const AFF *t = &row[d - 1];
                    if (FN(_aff_is_zero)(t)) continue; /* only off the prime-order subgroup */
                    if (!has[i]) {
                        acc[i] = *t;
                        has[i] = 1;
                    } else if (F_EQ(&acc[i].x, &t->x)) { /* rare: doubling or cancellation */
                        JAC p;
                        FN(_from_aff)(&p, t);
                        if (F_EQ(&acc[i].y, &t->y)) {
                            FN(_dbl)(&p, &p);
                        } else {
                            FN(_set_zero)(&p);
                        }
                        FN(_to_aff)(&acc[i], &p);
                        has[i] = !FN(_is_zero)(&p);
                    } else {
                        idx[cnt] = (uint32_t)i;
                        tsel[cnt++] = t;
                    }
                }
                FN(_affine_add_batch)(acc, idx, tsel, cnt, den, pre);
            }
            for (size_t i = 0; i < m; i++) {
                if (has[i]) {
                    job->out[lo + i] = acc[i];
                } else {
                    memset(&job->out[lo + i], 0, sizeof(AFF));
                }
            }
        }
    }
    free(acc);
    free(has);
    free(idx);
    free(tsel);
    free(den);
    free(pre);
    return NULL;
}

/* Table width minimising windows * (table row + scalars), capped for memory. */
static int FN(_fixed_window)(size_t n) {
    int best = 1;
    double best_cost = 1e300;
    for (int w = 1; w <= 15; w++) {
        int nw = (SCALAR_BITS + w - 1) / w;
        double cost = (double)nw * ((double)((size_t)1 << w) + (double)n);
        if (cost < best_cost) {
            best_cost = cost;
            best = w;
        }
    }
    return best;
}

/* out[i] = scalars[i] * base, affine; base affine (Montgomery). 0 or -1 (memory). */
static int FN(_batch_mul)(AFF *out, const AFF *base, const uint64_t *scalars, size_t n,
                          int nthreads) {
    if (n == 0) return 0;
    int w = FN(_fixed_window)(n);
    int nw = (SCALAR_BITS + w - 1) / w;
    size_t rows = ((size_t)1 << w) - 1;
    AFF *bases = (AFF *)malloc((size_t)nw * sizeof(AFF));
    AFF *table = (AFF *)malloc((size_t)nw * rows * sizeof(AFF));
    if (bases == NULL || table == NULL) {
        free(bases);
        free(table);
        return -1;
    }
    JAC p;
    FN(_from_aff)(&p, base);
    for (int j = 0; j < nw; j++) {
        FN(_to_aff)(&bases[j], &p);
        for (int k = 0; k < w; k++) FN(_dbl)(&p, &p);
    }
    if (nthreads < 1) nthreads = 1;
    if (nthreads > L2_MAX_THREADS) nthreads = L2_MAX_THREADS;
    FN(_fixed_job) jobs[L2_MAX_THREADS];
    size_t per = (n + nthreads - 1) / nthreads;
    for (int t = 0; t < nthreads; t++) {
        size_t lo = (size_t)t * per < n ? (size_t)t * per : n;
        size_t hi = lo + per < n ? lo + per : n;
        FN(_fixed_job) j = {bases, table, scalars, out, lo, hi, w, nw, t, nthreads, 0};
        jobs[t] = j;
    }
    l2_run_parallel(FN(_table_worker), jobs, sizeof(jobs[0]), nthreads < nw ? nthreads : nw);
    int failed = 0;
    for (int t = 0; t < nthreads; t++) failed |= jobs[t].failed;
    if (!failed) {
        l2_run_parallel(FN(_scalar_worker), jobs, sizeof(jobs[0]), nthreads);
        for (int t = 0; t < nthreads; t++) failed |= jobs[t].failed;
    }
    free(bases);
    free(table);
    return failed ? -1 : 0;
}
