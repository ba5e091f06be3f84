/* knn_exact.c - exact kNN: squared distances ||q||^2 + ||x||^2 - 2 q.x for
 * a block of queries against a block of data at a time (one SGEMM), each
 * query keeping a bounded max-heap of its k best (distance, index) pairs.
 * Every row scans the data in index order, so results do not depend on the
 * thread count. */
#include "gm.h"

#include <math.h>
#include <stdlib.h>

#define KNN_QUERY_BLOCK 256
#define KNN_DATA_BLOCK 2048

/* (a, ia) comes after (b, ib): larger distance, or equal and larger index */
static inline int worse(float a, int64_t ia, float b, int64_t ib)
{
    return a > b || (a == b && ia > ib);
}

/* Max-heap of size k in (dist, idx), worst at the root. */
static void heap_sift_down(float *dist, int64_t *idx, ptrdiff_t k, ptrdiff_t i)
{
    for (;;) {
        ptrdiff_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < k && worse(dist[l], idx[l], dist[top], idx[top]))
            top = l;
        if (r < k && worse(dist[r], idx[r], dist[top], idx[top]))
            top = r;
        if (top == i)
            return;
        float td = dist[i];
        int64_t ti = idx[i];
        dist[i] = dist[top], idx[i] = idx[top];
        dist[top] = td, idx[top] = ti;
        i = top;
    }
}

static void heap_push(float *dist, int64_t *idx, ptrdiff_t k, float d, int64_t j)
{
    if (!worse(dist[0], idx[0], d, j))
        return;
    dist[0] = d, idx[0] = j;
    heap_sift_down(dist, idx, k, 0);
}


typedef struct {
    float dist;
    int64_t idx;
} neighbour;

static int compare_neighbours(const void *pa, const void *pb)
{
    const neighbour *a = pa, *b = pb;
    if (a->dist != b->dist)
        return a->dist < b->dist ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

size_t gm_knn_workspace_size(ptrdiff_t n, ptrdiff_t m)
{
    return (size_t)KNN_QUERY_BLOCK * KNN_DATA_BLOCK + (size_t)n + (size_t)m;
}

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

gm_status gm_knn_exact(int64_t *indices, float *distances, const float *data,
                       ptrdiff_t n, const float *queries, ptrdiff_t m,
                       ptrdiff_t d, ptrdiff_t k, int exclude_self,
                       float *workspace)
{
    if (n < 0 || m < 0 || d < 1 || k < 1 || (exclude_self && m != n))
        return GM_ERR_ARG;
    if (k > n - (exclude_self ? 1 : 0))
        return GM_ERR_ARG;
    if (m == 0)
        return GM_OK;
    if (!indices || !distances || !data || !queries || !workspace)
        return GM_ERR_ARG;
    float *block = workspace;
    float *data_norms = block + (size_t)KNN_QUERY_BLOCK * KNN_DATA_BLOCK;
    float *query_norms = data_norms + n;
    squared_norms(data_norms, data, n, d);
    squared_norms(query_norms, queries, m, d);
    for (ptrdiff_t i = 0; i < m * k; i++)
        distances[i] = INFINITY, indices[i] = INT64_MAX;

    gm_status status = GM_OK;
    for (ptrdiff_t q0 = 0; q0 < m && status == GM_OK; q0 += KNN_QUERY_BLOCK) {
        ptrdiff_t qb = m - q0 < KNN_QUERY_BLOCK ? m - q0 : KNN_QUERY_BLOCK;
        for (ptrdiff_t x0 = 0; x0 < n && status == GM_OK; x0 += KNN_DATA_BLOCK) {
            ptrdiff_t xb = n - x0 < KNN_DATA_BLOCK ? n - x0 : KNN_DATA_BLOCK;
            status = gm_sgemm(GM_NO_TRANS, GM_TRANS, qb, xb, d, -2.0f,
                              queries + q0 * d, d, data + x0 * d, d, 0.0f,
                              block, xb);
            #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
            for (ptrdiff_t r = 0; r < qb; r++) {
                ptrdiff_t q = q0 + r;
                float *hd = distances + q * k;
                int64_t *hi = indices + q * k;
                const float *row = block + r * xb;
                for (ptrdiff_t c = 0; c < xb; c++) {
                    ptrdiff_t j = x0 + c;
                    if (exclude_self && j == q)
                        continue;
                    float dist = row[c] + query_norms[q] + data_norms[j];
                    heap_push(hd, hi, k, dist > 0.0f ? dist : 0.0f, j);
                }
            }
        }
    }
    if (status != GM_OK)
        return status;
    /* Exact distances for the neighbours found, then sorted. */
    int failed = 0;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static) reduction(|:failed)
    for (ptrdiff_t q = 0; q < m; q++) {
        neighbour *nb = malloc((size_t)k * sizeof *nb);
        if (!nb) {
            failed = 1;
            continue;
        }
        for (ptrdiff_t t = 0; t < k; t++) {
            int64_t j = indices[q * k + t];
            double s = 0;
            for (ptrdiff_t c = 0; c < d; c++) {
                double diff = (double)queries[q * d + c] - data[j * d + c];
                s += diff * diff;
            }
            nb[t].dist = (float)sqrt(s);
            nb[t].idx = j;
        }
        qsort(nb, (size_t)k, sizeof *nb, compare_neighbours);
        for (ptrdiff_t t = 0; t < k; t++)
            distances[q * k + t] = nb[t].dist, indices[q * k + t] = nb[t].idx;
        free(nb);
    }
    return failed ? GM_ERR_NOMEM : GM_OK;
}
