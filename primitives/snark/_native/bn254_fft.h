/* Radix-2 number-theoretic transform over Fr, in Montgomery form. */
#ifndef L2LAB_BN254_FFT_H
#define L2LAB_BN254_FFT_H

#include "bn254_field.h"
#include "bn254_thread.h"

typedef struct {
    fe_t *a;
    const fe_t *tw;      /* omega^k for k < n/2 */
    size_t n, lo, hi;    /* this job's index range */
    int log_m_first, log_m_last; /* butterfly stages: block sizes 2^first .. 2^last */
} fft_job;

/* Stages with block size m: block-local, so a job owning whole blocks runs
 * alone; the last stage splits its butterflies (k ranges) instead. */
static void *fft_worker(void *arg) {
    fft_job *j = (fft_job *)arg;
    for (int lm = j->log_m_first; lm <= j->log_m_last; lm++) {
        size_t m = (size_t)1 << lm, half = m >> 1, step = j->n >> lm;
        if (m <= j->hi - j->lo) {
            for (size_t start = j->lo; start < j->hi; start += m) {
                fe_t *a = j->a + start;
                for (size_t k = 0; k < half; k++) {
                    fe_t v, u = a[k];
                    fr_mul(&v, &a[k + half], &j->tw[k * step]);
                    fr_add(&a[k], &u, &v);
                    fr_sub(&a[k + half], &u, &v);
                }
            }
        } else { /* one block of size m = n shared by jobs: [lo, hi) are k values */
            fe_t *a = j->a;
            for (size_t k = j->lo; k < j->hi; k++) {
                fe_t v, u = a[k];
                fr_mul(&v, &a[k + half], &j->tw[k * step]);
                fr_add(&a[k], &u, &v);
                fr_sub(&a[k + half], &u, &v);
            }
        }
    }
    return NULL;
}

/* In place: a[i] <- sum_j a[j] omega^(i j); n a power of two, omega in
 * Montgomery form; tw has room for n/2 elements. */
static void fr_ntt(fe_t *a, size_t n, const fe_t *omega, fe_t *tw, int nthreads) {
    int logn = 0;
    while (((size_t)1 << logn) < n) logn++;
    for (size_t i = 1, j = 0; i < n; i++) { /* bit-reversal permutation */
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j |= bit;
        if (i < j) {
            fe_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
    if (n < 2) return;
    tw[0] = FR_ONE;
    for (size_t k = 1; k < n / 2; k++) fr_mul(&tw[k], &tw[k - 1], omega);
    if (nthreads < 2 || n < 4096) {
        fft_job j = {a, tw, n, 0, n, 1, logn};
        fft_worker(&j);
        return;
    }
    /* Two jobs: each owns half of the array for all stages but the last, then
     * each takes half of the last stage's butterflies. */
    fft_job jobs[2] = {{a, tw, n, 0, n / 2, 1, logn - 1}, {a, tw, n, n / 2, n, 1, logn - 1}};
    l2_run_parallel(fft_worker, jobs, sizeof(fft_job), 2);
    fft_job last[2] = {{a, tw, n, 0, n / 4, logn, logn}, {a, tw, n, n / 4, n / 2, logn, logn}};
    l2_run_parallel(fft_worker, last, sizeof(fft_job), 2);
}

#endif
