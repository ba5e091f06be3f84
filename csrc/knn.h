/* knn.h - k-nearest neighbours: exact (blocked distance GEMMs, a bounded
 * heap per query) and approximate (random-projection trees for the first
 * candidates, then NN-descent).
 *
 * Exact, all queries at once or a block of query rows per call:
 *
 *     float *ws = malloc(gm_knn_exact_workspace_size(n, m, k) * sizeof *ws);
 *     gm_knn_exact_rows(idx, dist, x, n, x + q0 * d, m, d, k, q0, ws);
 *
 * Approximate, driven from the caller one bounded step at a time:
 *
 *     gm_knn_graph_init(idx, sqd, flags, n, k);
 *     for each block of trees: gm_rp_forest(...); gm_knn_graph_add_leaves(...);
 *     gm_knn_graph_fill_random(...);
 *     for each iteration: gm_nn_descent_iteration(...) until few updates;
 *     gm_knn_graph_finish(idx, dist, x, n, d, k);
 *
 * Every result is a function of the inputs and the seed alone: the same for
 * any thread count. Neighbours are ordered by distance, ties by lower index.
 */
#ifndef GM_KNN_H
#define GM_KNN_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Philox streams of the approximate search. */
#define GM_KNN_STREAM_TREE 0x6b6e6e01u        /* split points and ties */
#define GM_KNN_STREAM_FILL 0x6b6e6e02u        /* random initial neighbours */
#define GM_KNN_STREAM_CANDIDATES 0x6b6e6e03u  /* candidate sampling */

/* ---- exact ---------------------------------------------------------- */

/* data (n, d), queries (m, d) -> indices (m, k), distances (m, k): the k
 * nearest rows of data to each query by euclidean distance, nearest first,
 * ties broken by lower index. self_offset >= 0 says query r is data row
 * self_offset + r, which is skipped; -1 means the queries are other points.
 * Candidates are ranked by ||q||^2 + ||x||^2 - 2 q.x (one SGEMM per block),
 * a few more than k are kept, and their distances are recomputed exactly
 * (in double) before the final ranking. workspace:
 * gm_knn_exact_workspace_size(n, m, k) floats. GM_ERR_ARG if k exceeds the
 * available neighbours. */
size_t gm_knn_exact_workspace_size(ptrdiff_t n, ptrdiff_t m, ptrdiff_t k);
gm_status gm_knn_exact_rows(int64_t *indices, float *distances,
                            const float *data, ptrdiff_t n,
                            const float *queries, ptrdiff_t m, ptrdiff_t d,
                            ptrdiff_t k, ptrdiff_t self_offset,
                            float *workspace);

/* The same search with exactly k candidates kept (no extra margin), so its
 * workspace does not depend on k: gm_knn_workspace_size(n, m) floats.
 * exclude_self (queries == data, m == n) skips each query's own row. */
size_t gm_knn_workspace_size(ptrdiff_t n, ptrdiff_t m);
gm_status gm_knn_exact(int64_t *indices, float *distances, const float *data,
                       ptrdiff_t n, const float *queries, ptrdiff_t m,
                       ptrdiff_t d, ptrdiff_t k, int exclude_self,
                       float *workspace);

/* ---- random-projection forest (rp_tree.c) ----------------------------- */

/* data (n, d) -> for each tree t in [first_tree, first_tree + n_trees):
 * order (n_trees, n) a permutation of the points grouped by leaf,
 * leaf_ptr (n_trees, n + 1) where leaf l of tree t holds
 * order[t][leaf_ptr[t][l] .. leaf_ptr[t][l + 1]), and n_leaves (n_trees).
 * Each node splits its points by the hyperplane halfway between two of
 * them drawn from Philox(seed, GM_KNN_STREAM_TREE, tree and node); a split
 * that leaves a side empty halves the node instead. Leaves hold at most
 * leaf_size points. Trees are built in parallel, each a function of
 * (seed, tree index) alone. workspace: gm_rp_forest_workspace_size(n, d,
 * n_trees) floats. */
size_t gm_rp_forest_workspace_size(ptrdiff_t n, ptrdiff_t d, ptrdiff_t n_trees);
gm_status gm_rp_forest(int64_t *order, int64_t *leaf_ptr, int64_t *n_leaves,
                       const float *data, ptrdiff_t n, ptrdiff_t d,
                       ptrdiff_t leaf_size, uint64_t seed,
                       ptrdiff_t first_tree, ptrdiff_t n_trees,
                       float *workspace);

/* ---- neighbour graph and NN-descent (knn_descent.c) ------------------ */

/* The graph under construction: row i of indices (n, k), sqdist (n, k)
 * (squared euclidean distances) and flags (n, k) is a max-heap of i's best
 * candidates so far (worst at slot 0); empty slots hold index -1 and
 * distance +inf. flags: 1 = new (not yet joined), 0 = old. */
gm_status gm_knn_graph_init(int64_t *indices, float *sqdist, uint8_t *flags,
                            ptrdiff_t n, ptrdiff_t k);

/* Every pair of points sharing a leaf of one tree (order (n), leaf_ptr
 * (n_leaves + 1) as made by gm_rp_forest) becomes a candidate. */
gm_status gm_knn_graph_add_leaves(int64_t *indices, float *sqdist,
                                  uint8_t *flags, const float *data,
                                  ptrdiff_t n, ptrdiff_t d, ptrdiff_t k,
                                  const int64_t *order, const int64_t *leaf_ptr,
                                  ptrdiff_t n_leaves);

/* Empty slots get random points from Philox(seed, GM_KNN_STREAM_FILL, .). */
gm_status gm_knn_graph_fill_random(int64_t *indices, float *sqdist,
                                   uint8_t *flags, const float *data,
                                   ptrdiff_t n, ptrdiff_t d, ptrdiff_t k,
                                   uint64_t seed);

/* One NN-descent iteration (Dong, Moses & Li 2011, as in pynndescent):
 * each point samples up to max_candidates new and old candidates among its
 * neighbours and reverse neighbours (by Philox priority), then every pair
 * of a point's candidates with at least one new is measured and offered to
 * both heaps. Candidates come from the graph as it was when the iteration
 * began; offers are applied block after block of points, and a heap keeps
 * the k best distinct (distance, index) pairs whatever the order of
 * offers, so the result does not depend on the thread count. *n_updates:
 * how many heap entries are new since the iteration began. workspace:
 * gm_nn_descent_workspace_size(n, k, max_candidates) bytes. */
size_t gm_nn_descent_workspace_size(ptrdiff_t n, ptrdiff_t k,
                                    ptrdiff_t max_candidates);
gm_status gm_nn_descent_iteration(int64_t *indices, float *sqdist,
                                  uint8_t *flags, const float *data,
                                  ptrdiff_t n, ptrdiff_t d, ptrdiff_t k,
                                  ptrdiff_t max_candidates, uint64_t seed,
                                  int64_t iteration, void *workspace,
                                  int64_t *n_updates);

/* Final answer: distances (n, k) recomputed exactly (in double) as true
 * euclidean distances, each row sorted by distance then index. indices is
 * updated in place; every slot must be filled. */
gm_status gm_knn_graph_finish(int64_t *indices, float *distances,
                              const float *data, ptrdiff_t n, ptrdiff_t d,
                              ptrdiff_t k);

/* Squared euclidean distance of two d-vectors, summed in eight fixed lanes
 * so the AVX2 and portable paths give the same bits. */
float gm_knn_sqdist(const float *x, const float *y, ptrdiff_t d);

#ifdef __cplusplus
}
#endif

#endif /* GM_KNN_H */
