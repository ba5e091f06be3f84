/*
 * gm.h - the genmodels C core: float32 kernels for training and studying
 * generative image models on a CPU.
 *
 * Every kernel works on caller-owned, row-major float32 buffers, takes
 * explicit shapes, allocates nothing in hot paths and returns a gm_status.
 * A short, complete example:
 *
 *     #include "gm.h"
 *     float a[2 * 3] = {1, 2, 3, 4, 5, 6};      // (2, 3)
 *     float b[3 * 2] = {1, 0, 0, 1, 1, 1};      // (3, 2)
 *     float c[2 * 2];                           // (2, 2)
 *     gm_set_num_threads(2);
 *     gm_status s = gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, 2, 2, 3,
 *                            1.0f, a, 3, b, 2, 0.0f, c, 2);
 *     if (s != GM_OK) fprintf(stderr, "%s\n", gm_status_string(s));
 *
 * Results never depend on the thread count: every reduction runs in a
 * fixed order and random numbers are addressed by (seed, stream, offset).
 */
#ifndef GM_H
#define GM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_OK = 0,
    GM_ERR_ARG = -1,          /* an argument is out of its domain */
    GM_ERR_NOMEM = -2,        /* an allocation failed */
    GM_ERR_NONFINITE = -3,    /* NaN or Inf met where it is not allowed */
    GM_ERR_INTERRUPTED = -4,  /* a long kernel was asked to stop */
    GM_ERR_INTERNAL = -5      /* a bug: an invariant did not hold */
} gm_status;

const char *gm_status_string(gm_status status);

/* Threads (threads.c). Default: omp_get_max_threads(), which honours
 * OMP_NUM_THREADS and the process's CPU affinity. */
void gm_set_num_threads(int n);   /* n < 1 restores the default */
int gm_get_num_threads(void);

/* CPU features (cpu_features.c), detected once, maskable for tests. */
enum {
    GM_CPU_AVX2_FMA = 1 << 0,
    GM_CPU_AVX512F = 1 << 1
};
unsigned gm_cpu_features(void);            /* detected & allowed */
unsigned gm_cpu_detected_features(void);   /* what the CPU has */
void gm_cpu_set_allowed(unsigned mask);    /* tests force portable paths */

#ifdef __cplusplus
}
#endif

/* One header per area; each one lists its kernels with buffer shapes. */
#include "gemm.h"
#include "conv.h"
#include "activations.h"
#include "batchnorm.h"
#include "losses.h"
#include "optim.h"
#include "rng.h"
#include "knn.h"
#include "tsne.h"
#include "umap.h"

#endif /* GM_H */
