/* umap.h - the UMAP layout optimisation (stochastic gradient descent on the
 * fuzzy cross-entropy with negative sampling). */
#ifndef GM_UMAP_H
#define GM_UMAP_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    ptrdiff_t n_heads;            /* rows: the points being moved */
    ptrdiff_t n_tails;            /* points the columns refer to */
    const int64_t *indptr;        /* (n_heads + 1) */
    const int64_t *indices;       /* (nnz) columns in [0, n_tails) */
    const float *epochs_per_sample;  /* (nnz) */
} gm_umap_graph;

/* Runs epochs [first_epoch, first_epoch + n_epochs) of total_epochs on
 * head (n_heads, dim), in place. Edge state next_sample, next_negative
 * (nnz) carries between calls. With tail == NULL the heads are their own
 * tails (fitting); otherwise tail (n_tails, dim) stays fixed (transform).
 *
 * Every epoch moves each head by the sum of its edges' attractive and
 * negative-sample repulsive steps, computed from the positions at the start
 * of the epoch; negative samples come from Philox(seed, stream, edge and
 * epoch). So the result is the same for any thread count. */
gm_status gm_umap_optimize(float *head, const float *tail,
                           const gm_umap_graph *graph, float *next_sample,
                           float *next_negative, ptrdiff_t dim,
                           int first_epoch, int n_epochs, int total_epochs,
                           float a, float b, float gamma, float initial_alpha,
                           float negative_sample_rate, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* GM_UMAP_H */
