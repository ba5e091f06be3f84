/* knn_internal.h - pieces shared by the kNN sources: bounded max-heaps of
 * (distance, index) pairs and exact distances. Not part of the public API. */
#ifndef GM_KNN_INTERNAL_H
#define GM_KNN_INTERNAL_H

#include "gm.h"

#include <math.h>

/* (a, ia) ranks after (b, ib): larger distance, or equal and larger index. */
static inline int knn_worse(float a, int64_t ia, float b, int64_t ib)
{
    return a > b || (a == b && ia > ib);
}

/* Restores the max-heap (worst at 0) of size k below slot i; flags may be
 * NULL. */
static inline void knn_sift_down(float *dist, int64_t *idx, uint8_t *flags,
                                 ptrdiff_t k, ptrdiff_t i)
{
    for (;;) {
        ptrdiff_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < k && knn_worse(dist[l], idx[l], dist[top], idx[top]))
            top = l;
        if (r < k && knn_worse(dist[r], idx[r], dist[top], idx[top]))
            top = r;
        if (top == i)
            return;
        float td = dist[i];
        int64_t ti = idx[i];
        dist[i] = dist[top], idx[i] = idx[top], dist[top] = td, idx[top] = ti;
        if (flags) {
            uint8_t tf = flags[i];
            flags[i] = flags[top], flags[top] = tf;
        }
        i = top;
    }
}

/* Offers (d, j) to the heap; returns 1 if it entered. */
static inline int knn_heap_push(float *dist, int64_t *idx, ptrdiff_t k,
                                float d, int64_t j)
{
    if (!knn_worse(dist[0], idx[0], d, j))
        return 0;
    dist[0] = d, idx[0] = j;
    knn_sift_down(dist, idx, NULL, k, 0);
    return 1;
}

/* The same for a heap whose entries must stay distinct; the entry comes in
 * with `flag`. Because the heap keeps the k best distinct pairs under a
 * total order, its final content does not depend on the order of offers. */
static inline int knn_heap_push_unique(float *dist, int64_t *idx,
                                       uint8_t *flags, ptrdiff_t k, float d,
                                       int64_t j, uint8_t flag)
{
    if (!knn_worse(dist[0], idx[0], d, j))
        return 0;
    for (ptrdiff_t t = 0; t < k; t++)
        if (idx[t] == j)
            return 0;
    dist[0] = d, idx[0] = j, flags[0] = flag;
    knn_sift_down(dist, idx, flags, k, 0);
    return 1;
}

/* Sorts a short row by (distance, index), insertion sort. */
static inline void knn_sort_row(float *dist, int64_t *idx, ptrdiff_t k)
{
    for (ptrdiff_t t = 1; t < k; t++) {
        float d = dist[t];
        int64_t j = idx[t];
        ptrdiff_t s = t;
        for (; s > 0 && knn_worse(dist[s - 1], idx[s - 1], d, j); s--)
            dist[s] = dist[s - 1], idx[s] = idx[s - 1];
        dist[s] = d, idx[s] = j;
    }
}

/* Euclidean distance of two d-vectors, accumulated in double. */
static inline float knn_exact_distance(const float *x, const float *y,
                                       ptrdiff_t d)
{
    double s = 0;
    for (ptrdiff_t c = 0; c < d; c++) {
        double diff = (double)x[c] - (double)y[c];
        s += diff * diff;
    }
    return (float)sqrt(s);
}

/* x.y of two d-vectors, summed in the same eight fixed lanes as
 * gm_knn_sqdist (knn_descent.c). */
float gm_knn_dot(const float *x, const float *y, ptrdiff_t d);

#endif /* GM_KNN_INTERNAL_H */
