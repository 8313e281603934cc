/* Fork-join over a few POSIX threads: the kernels split their work into
 * independent jobs (windows, rows, chunks of scalars) and run one per thread. */
#ifndef L2LAB_BN254_THREAD_H
#define L2LAB_BN254_THREAD_H

#include <pthread.h>
#include <stddef.h>

#define L2_MAX_THREADS 16

/* Run worker(jobs + i * job_size) for i in [0, n); job 0 runs on the caller,
 * and a job whose thread cannot be started runs on the caller too. */
static void l2_run_parallel(void *(*worker)(void *), void *jobs, size_t job_size, int n) {
    pthread_t th[L2_MAX_THREADS];
    int started[L2_MAX_THREADS] = {0};
    if (n > L2_MAX_THREADS) n = L2_MAX_THREADS;
    for (int i = 1; i < n; i++) {
        started[i] = pthread_create(&th[i], NULL, worker, (char *)jobs + i * job_size) == 0;
    }
    worker(jobs);
    for (int i = 1; i < n; i++) {
        if (started[i]) {
            pthread_join(th[i], NULL);
        } else {
            worker((char *)jobs + i * job_size);
        }
    }
}

#endif
