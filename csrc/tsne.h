/* tsne.h - t-SNE: perplexity calibration and a Barnes-Hut optimiser for
 * 2-D embeddings. */
#ifndef GM_TSNE_H
#define GM_TSNE_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dist (n, k) distances to each point's k nearest neighbours -> p (n, k):
 * P(j|i) proportional to exp(-beta_i dist^2), each row summing to 1, with
 * beta_i found by bisection so the row's entropy is log(perplexity). */
gm_status gm_tsne_affinities(float *p, const float *dist, ptrdiff_t n,
                             ptrdiff_t k, float perplexity);

/* The symmetric affinities in CSR form: row i holds the columns
 * indices[indptr[i]..indptr[i+1]) with values p (summing to 1 overall). */
typedef struct {
    ptrdiff_t n;
    const int64_t *indptr;
    const int64_t *indices;
    const float *p;
} gm_tsne_graph;

/* Run n_iter iterations of gradient descent with momentum and gains on
 * y (n, 2), update (n, 2) and gains (n, 2), all updated in place:
 * grad_i = 4 (exaggeration * sum_j p_ij q_ij (y_i - y_j)
 *             - sum_j q_ij^2 (y_i - y_j) / Z),  q_ij = 1 / (1 + |y_i - y_j|^2)
 * with the repulsion by Barnes-Hut (theta > 0) or exactly (theta == 0).
 * kl (may be NULL) receives the KL divergence after the last iteration
 * (with the Barnes-Hut estimate of Z when theta > 0). */
gm_status gm_tsne_optimize(float *y, float *update, float *gains,
                           const gm_tsne_graph *graph, int n_iter,
                           float exaggeration, float momentum,
                           float learning_rate, float theta, double *kl);

/* The exact gradient (n^2), kept as the reference for tests: grad (n, 2). */
gm_status gm_tsne_gradient_ref(float *grad, const float *y,
                               const gm_tsne_graph *graph,
                               float exaggeration);

#ifdef __cplusplus
}
#endif

#endif /* GM_TSNE_H */
