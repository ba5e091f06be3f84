/* knn_exact.c - exact kNN: squared distances ||q||^2 + ||x||^2 - 2 q.x for
 * a block of queries against a block of data at a time (one SGEMM), each
 * query keeping a bounded max-heap of its best (distance, index) pairs.
 *
 * The GEMM form loses about eps * (||q||^2 + ||x||^2) to rounding, which can
 * swap near-ties, so each query keeps a few more candidates than asked;
 * their distances are then recomputed exactly and ranked again. Every row
 * scans the data in index order and GEMM results do not depend on the
 * thread count, so neither do ours. */
#include "knn_internal.h"

#include <math.h>
#include <string.h>

#define KNN_QUERY_BLOCK 256
#define KNN_DATA_BLOCK 2048

/* Candidates kept beyond k: enough to absorb rounding near the k-th. */
static ptrdiff_t kept(ptrdiff_t k, ptrdiff_t available)
{
    ptrdiff_t want = k + 4 + k / 4;
    return want < available ? want : available;
}

size_t gm_knn_exact_workspace_size(ptrdiff_t n, ptrdiff_t m, ptrdiff_t k)
{
    /* block, data norms, query norms, heap distances, heap indices */
    size_t kk = (size_t)k + 4 + (size_t)k / 4;
    return (size_t)KNN_QUERY_BLOCK * KNN_DATA_BLOCK + (size_t)n + KNN_QUERY_BLOCK +
           3 * (size_t)KNN_QUERY_BLOCK * kk + 2;
}

size_t gm_knn_workspace_size(ptrdiff_t n, ptrdiff_t m)
{
    return (size_t)KNN_QUERY_BLOCK * KNN_DATA_BLOCK + (size_t)n + KNN_QUERY_BLOCK;
}

/* x (rows, d) -> out (rows): squared norms, accumulated in double. */
static void squared_norms(float *out, const float *x, ptrdiff_t rows, ptrdiff_t d)
{
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t i = 0; i < rows; i++) {
        double s = 0;
        for (ptrdiff_t j = 0; j < d; j++)
            s += (double)x[i * d + j] * x[i * d + j];
        out[i] = (float)s;
    }
}

/* The search with kk >= k candidates per query held in heap_dist, heap_idx
 * (KNN_QUERY_BLOCK, kk); with kk == k these may be the outputs themselves
 * (block by block). */
static gm_status search(int64_t *indices, float *distances, const float *data,
                        ptrdiff_t n, const float *queries, ptrdiff_t m,
                        ptrdiff_t d, ptrdiff_t k, ptrdiff_t kk,
                        ptrdiff_t self_offset, float *block, float *data_norms,
                        float *query_norms, float *heap_dist, int64_t *heap_idx)
{
    squared_norms(data_norms, data, n, d);
    gm_status status = GM_OK;
    for (ptrdiff_t q0 = 0; q0 < m && status == GM_OK; q0 += KNN_QUERY_BLOCK) {
        ptrdiff_t qb = m - q0 < KNN_QUERY_BLOCK ? m - q0 : KNN_QUERY_BLOCK;
        const float *qx = queries + q0 * d;
        float *hd = heap_dist ? heap_dist : distances + q0 * k;
        int64_t *hi = heap_idx ? heap_idx : indices + q0 * k;
        squared_norms(query_norms, qx, qb, d);
        for (ptrdiff_t t = 0; t < qb * kk; t++)
            hd[t] = INFINITY, hi[t] = INT64_MAX;
        for (ptrdiff_t x0 = 0; x0 < n && status == GM_OK; x0 += KNN_DATA_BLOCK) {
            ptrdiff_t xb = n - x0 < KNN_DATA_BLOCK ? n - x0 : KNN_DATA_BLOCK;
            status = gm_sgemm(GM_NO_TRANS, GM_TRANS, qb, xb, d, -2.0f, qx, d,
                              data + x0 * d, d, 0.0f, block, xb);
            if (status != GM_OK)
                break;
            #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
            for (ptrdiff_t r = 0; r < qb; r++) {
                ptrdiff_t self = self_offset >= 0 ? self_offset + q0 + r : -1;
                float *rd = hd + r * kk;
                int64_t *ri = hi + r * kk;
                const float *row = block + r * xb;
                float qn = query_norms[r];
                for (ptrdiff_t c = 0; c < xb; c++) {
                    ptrdiff_t j = x0 + c;
                    float dist = row[c] + qn + data_norms[j];
                    if (dist > rd[0] || j == self)
                        continue;
                    knn_heap_push(rd, ri, kk, dist > 0.0f ? dist : 0.0f, j);
                }
            }
        }
        if (status != GM_OK)
            break;
        /* exact distances for the candidates, ranked again; the best k kept */
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t r = 0; r < qb; r++) {
            float *rd = hd + r * kk;
            int64_t *ri = hi + r * kk;
            for (ptrdiff_t t = 0; t < kk; t++)
                rd[t] = knn_exact_distance(qx + r * d, data + ri[t] * d, d);
            knn_sort_row(rd, ri, kk);
            if (heap_dist) {
                memcpy(distances + (q0 + r) * k, rd, sizeof(float) * (size_t)k);
                memcpy(indices + (q0 + r) * k, ri, sizeof(int64_t) * (size_t)k);
            }
        }
    }
    return status;
}

static gm_status check_args(const int64_t *indices, const float *distances,
                            const float *data, ptrdiff_t n, const float *queries,
                            ptrdiff_t m, ptrdiff_t d, ptrdiff_t k,
                            ptrdiff_t self_offset, const float *workspace)
{
    if (n < 1 || m < 0 || d < 1 || k < 1 || self_offset < -1)
        return GM_ERR_ARG;
    if (self_offset >= 0 && self_offset + m > n)
        return GM_ERR_ARG;
    if (k > n - (self_offset >= 0 ? 1 : 0))
        return GM_ERR_ARG;
    if (m > 0 && (!indices || !distances || !data || !queries || !workspace))
        return GM_ERR_ARG;
    return GM_OK;
}

gm_status gm_knn_exact_rows(int64_t *indices, float *distances,
                            const float *data, ptrdiff_t n,
                            const float *queries, ptrdiff_t m, ptrdiff_t d,
                            ptrdiff_t k, ptrdiff_t self_offset,
                            float *workspace)
{
    gm_status s = check_args(indices, distances, data, n, queries, m, d, k,
                             self_offset, workspace);
    if (s != GM_OK || m == 0)
        return s;
    ptrdiff_t kk = kept(k, n - (self_offset >= 0 ? 1 : 0));
    float *block = workspace;
    float *data_norms = block + (size_t)KNN_QUERY_BLOCK * KNN_DATA_BLOCK;
    float *query_norms = data_norms + n;
    float *heap_dist = query_norms + KNN_QUERY_BLOCK;
    /* int64 heap indices after the distances, 8-byte aligned */
    size_t offset = (size_t)(heap_dist + (size_t)KNN_QUERY_BLOCK * kk - workspace);
    offset += offset & 1;
    int64_t *heap_idx = (int64_t *)(void *)(workspace + offset);
    return search(indices, distances, data, n, queries, m, d, k, kk,
                  self_offset, block, data_norms, query_norms, heap_dist, heap_idx);
}

gm_status gm_knn_exact(int64_t *indices, float *distances, const float *data,
                       ptrdiff_t n, const float *queries, ptrdiff_t m,
                       ptrdiff_t d, ptrdiff_t k, int exclude_self,
                       float *workspace)
{
    if (exclude_self && m != n)
        return GM_ERR_ARG;
    ptrdiff_t self_offset = exclude_self ? 0 : -1;
    gm_status s = check_args(indices, distances, data, n, queries, m, d, k,
                             self_offset, workspace);
    if (s != GM_OK || m == 0)
        return s;
    float *block = workspace;
    float *data_norms = block + (size_t)KNN_QUERY_BLOCK * KNN_DATA_BLOCK;
    return search(indices, distances, data, n, queries, m, d, k, k,
                  self_offset, block, data_norms, data_norms + n, NULL, NULL);
}
