/* knn.h - exact k-nearest neighbours by blocked distance GEMMs. */
#ifndef GM_KNN_H
#define GM_KNN_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* data (n, d), queries (m, d) -> indices (m, k), distances (m, k): the k
 * nearest rows of data to each query by euclidean distance, nearest first,
 * ties broken by lower index. exclude_self (queries == data, m == n) skips
 * each query's own row. Distances are recomputed exactly (in double) for
 * the neighbours found. workspace: gm_knn_workspace_size(n, m) floats.
 * GM_ERR_ARG if k exceeds the available neighbours. */
size_t gm_knn_workspace_size(ptrdiff_t n, ptrdiff_t m);
gm_status gm_knn_exact(int64_t *indices, float *distances, const float *data,
                       ptrdiff_t n, const float *queries, ptrdiff_t m,
                       ptrdiff_t d, ptrdiff_t k, int exclude_self,
                       float *workspace);

#ifdef __cplusplus
}
#endif

#endif /* GM_KNN_H */
