/* umap.h - UMAP (McInnes, Healy & Melville 2018): the fuzzy simplicial set
 * of a kNN graph (umap_fuzzy.c), the sparse products of the spectral
 * initialisation (umap_spectral.c) and the layout optimisation, stochastic
 * gradient descent on the fuzzy cross-entropy with negative sampling
 * (umap.c). */
#ifndef GM_UMAP_H
#define GM_UMAP_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Philox stream of the negative samples ("layout" in genmodels.ops). */
#define GM_UMAP_STREAM 8

/* ---- fuzzy simplicial set ------------------------------------------- */

/* distances (n, m): each point's m nearest neighbours other than itself,
 * nearest first -> weights (n, m), rho (n), sigma (n). With
 * local_connectivity 1, rho is the distance to the nearest neighbour at a
 * non-zero distance (0 if none); with 0, rho is 0 (umap-learn's transform).
 * sigma solves sum_j exp(-max(d_j - rho, 0) / sigma) = target by bisection
 * (n_iter steps at most, to within 1e-5), floored as in umap-learn at 1e-3
 * times the mean distance (of the row, or of all rows when rho = 0; a
 * point's zero distance to itself counts in those means). weights are the
 * memberships exp(-max(d_j - rho, 0) / sigma). umap-learn's target is
 * log2(m + 1). GM_ERR_NONFINITE for NaN, infinite or negative distances. */
gm_status gm_umap_smooth_knn(float *weights, float *rho, float *sigma,
                             const float *distances, ptrdiff_t n, ptrdiff_t m,
                             float target, int n_iter, int local_connectivity);

/* The fuzzy union of directed memberships: indices, weights (n, m), row
 * i's edges (i, indices[i, j]) with weights[i, j] (edges of weight <= 0
 * dropped) -> the symmetric set w + w^T - w * w^T as CSR indptr (n + 1),
 * out_indices, out_values (nnz = indptr[n]), columns sorted within rows.
 * In two calls: _count sorts each row's edges and transposes them into
 * workspace (gm_umap_fuzzy_union_workspace_size(n, m) bytes, 8-byte
 * aligned) and fills indptr; _fill then writes the entries from the same
 * workspace and indptr. Row r holds its own edges (r, c), valued w + x -
 * w * x in double, x the weight of the first edge (c, r) in row c or 0,
 * and for each column with no edge (r, c) the mirror images of the edges
 * (c, r), valued w + 0 - w * 0. Repeated columns in a row stay repeated
 * (in their order in the row), so a self-loop (i, i) is also its own
 * reverse. GM_ERR_ARG for an index outside [0, n), GM_ERR_NONFINITE for a
 * NaN or infinite weight. Rows in parallel; the result does not depend on
 * the thread count. */
size_t gm_umap_fuzzy_union_workspace_size(ptrdiff_t n, ptrdiff_t m);
gm_status gm_umap_fuzzy_union_count(int64_t *indptr, void *workspace,
                                    const int64_t *indices,
                                    const double *weights, ptrdiff_t n,
                                    ptrdiff_t m);
gm_status gm_umap_fuzzy_union_fill(int64_t *out_indices, double *out_values,
                                   const int64_t *indptr,
                                   const void *workspace, ptrdiff_t n,
                                   ptrdiff_t m);

/* ---- spectral initialisation ---------------------------------------- */

/* One step of a Chebyshev filter on the square CSR matrix A (n, n):
 * out (n, cols) = scale * (A @ y1 - shift * y1) - y0, y0 (n, cols) or
 * NULL for 0 (so scale 1, shift 0, y0 NULL is the product A @ y1), in
 * double precision, each row's entries summed in their stored order.
 * Column indices are 32-bit (n up to 2^31 - 1). out must not overlap y1
 * or y0. GM_ERR_ARG for a decreasing indptr or an index outside [0, n);
 * out is then undefined. */
gm_status gm_csr_chebyshev_step(double *out, const int64_t *indptr,
                                const int32_t *indices, const double *values,
                                ptrdiff_t n, const double *y1,
                                const double *y0, ptrdiff_t cols,
                                double scale, double shift);

/* ---- layout ----------------------------------------------------------- */

typedef struct {
    ptrdiff_t n_heads;            /* rows: the points being moved */
    ptrdiff_t n_tails;            /* points the columns refer to */
    const int64_t *indptr;        /* (n_heads + 1) */
    const int64_t *indices;       /* (nnz) columns in [0, n_tails) */
    const float *epochs_per_sample;  /* (nnz) */
} gm_umap_graph;

/* Runs epochs [first_epoch, first_epoch + n_epochs) of total_epochs on
 * head (n_heads, dim), in place, with learning rate initial_alpha * (1 -
 * epoch / total_epochs). Edge state next_sample, next_negative (nnz)
 * carries between calls. With tail == NULL the heads are their own tails
 * (fitting: the graph must be symmetric); otherwise tail (n_tails, dim)
 * stays fixed (transform).
 *
 * An edge due in an epoch pulls its head towards its tail and pushes it
 * away from floor((epoch - next_negative) * rate / epochs_per_sample)
 * random points (at most 256), each gradient coordinate clipped to [-4, 4]
 * as in umap-learn. umap-learn's sampled edge also pulls its tail, one
 * step after another; summed Jacobi steps overshoot with that doubled
 * pull, and pulling each end once (the reverse edge, due in the same
 * epochs, moves the tail) matches umap-learn's trustworthiness and kNN
 * accuracy on Fashion-MNIST (10k and 70k points).
 *
 * Deterministic in parallel (Jacobi style): every head moves by the sum of
 * its edges' steps computed from the positions at the start of the epoch,
 * and draws its negative samples from Philox(seed, GM_UMAP_STREAM)
 * positions (epoch * nnz + indptr[head]) * 256 on, so the result is the
 * same for any thread count. */
gm_status gm_umap_optimize(float *head, const float *tail,
                           const gm_umap_graph *graph, float *next_sample,
                           float *next_negative, ptrdiff_t dim,
                           int first_epoch, int n_epochs, int total_epochs,
                           float a, float b, float gamma, float initial_alpha,
                           float negative_sample_rate, uint64_t seed);

/* coeff (n) from squared distances d2 (n): where attract[i], the
 * attraction -2ab d2^(b-1) / (1 + a d2^b), else the repulsion
 * 2 gamma b / ((0.001 + d2)(1 + a d2^b)); 0 where d2 <= 0
 * (umap_forces.c). */
void gm_umap_coefficients(float *coeff, const float *d2, const uint8_t *attract,
                          ptrdiff_t n, float a, float b, float gamma);

/* out (n) = x (n) ^ b as the layout computes it (x below 1e-30 counts as
 * 1e-30): a float polynomial without libm, within about 1e-6 relative,
 * eight lanes at a time with AVX2 and the same bits without. */
void gm_umap_pow(float *out, const float *x, ptrdiff_t n, float b);

#ifdef __cplusplus
}
#endif

#endif /* GM_UMAP_H */
