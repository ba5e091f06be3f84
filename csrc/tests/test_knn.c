/* test_knn.c - exact kNN against brute force (whole and by blocks of query
 * rows), random-projection leaves, NN-descent recall, and results that do
 * not depend on the thread count or the instruction set. */
#include "../gm.h"
#include "check.h"

#include <string.h>

enum { N = 600, D = 11, K = 8 };

static double brute_distance(const float *x, const float *y, int d)
{
    double s = 0;
    for (int c = 0; c < d; c++)
        s += ((double)x[c] - y[c]) * ((double)x[c] - y[c]);
    return sqrt(s);
}

/* The true k nearest of row q (self excluded), by (distance, index). */
static void brute_knn(int64_t *idx, const float *x, int n, int d, int k, int q)
{
    for (int t = 0; t < k; t++) {
        int best = -1;
        double best_d = INFINITY;
        for (int j = 0; j < n; j++) {
            if (j == q)
                continue;
            int taken = 0;
            for (int s = 0; s < t; s++)
                taken |= idx[s] == j;
            double dj = brute_distance(x + q * d, x + j * d, d);
            if (!taken && dj < best_d)
                best = j, best_d = dj;
        }
        idx[t] = best;
    }
}

static void test_exact_against_brute_force(void)
{
    float *x = malloc(N * D * sizeof *x), *dist = malloc(N * K * sizeof *dist);
    int64_t *idx = malloc(N * K * sizeof *idx), want[K];
    float *ws = malloc(gm_knn_exact_workspace_size(N, 100, K) * sizeof *ws);
    check_fill(x, N * D, 3);
    /* blocks of 100 query rows, as the Python driver does */
    for (int q0 = 0; q0 < N; q0 += 100)
        CHECK(gm_knn_exact_rows(idx + q0 * K, dist + q0 * K, x, N, x + q0 * D, 100, D, K, q0, ws) == GM_OK);
    int same = 1, close = 1;
    for (int q = 0; q < N; q++) {
        brute_knn(want, x, N, D, K, q);
        for (int t = 0; t < K; t++) {
            same &= idx[q * K + t] == want[t];
            close &= fabs(dist[q * K + t] - brute_distance(x + q * D, x + want[t] * D, D)) < 1e-6;
        }
    }
    CHECK(same);
    CHECK(close);
    /* the old interface: all rows, k candidates only */
    float *ws_old = malloc(gm_knn_workspace_size(N, N) * sizeof *ws_old);
    int64_t *idx_old = malloc(N * K * sizeof *idx_old);
    CHECK(gm_knn_exact(idx_old, dist, x, N, x, N, D, K, 1, ws_old) == GM_OK);
    CHECK(memcmp(idx, idx_old, N * K * sizeof *idx) == 0);
    CHECK(gm_knn_exact_rows(idx, dist, x, N, x, 100, D, N, 0, ws) == GM_ERR_ARG);   /* k too big */
    CHECK(gm_knn_exact_rows(idx, dist, x, N, x, 100, D, K, N - 50, ws) == GM_ERR_ARG);
    CHECK(gm_knn_exact(idx, dist, x, N, x, N - 1, D, K, 1, ws_old) == GM_ERR_ARG);
    free(x), free(dist), free(idx), free(ws), free(ws_old), free(idx_old);
}

static void test_distance_lanes_are_isa_independent(void)
{
    float x[37], y[37];
    check_fill(x, 37, 5);
    check_fill(y, 37, 6);
    for (int d = 1; d <= 37; d++) {
        float native = gm_knn_sqdist(x, y, d);
        gm_cpu_set_allowed(0);
        float portable = gm_knn_sqdist(x, y, d);
        gm_cpu_set_allowed(~0u);
        CHECK(native == portable);
        CHECK_CLOSE(native, brute_distance(x, y, d) * brute_distance(x, y, d), 1e-5, 1e-5);
    }
}

static void test_rp_forest(void)
{
    enum { TREES = 3, LEAF = 20 };
    float *x = malloc(N * D * sizeof *x), *ws = malloc(gm_rp_forest_workspace_size(N, D, TREES) * sizeof *ws);
    int64_t *order = malloc(TREES * N * sizeof *order), *ptr = malloc(TREES * (N + 1) * sizeof *ptr);
    int64_t *order2 = malloc(TREES * N * sizeof *order2), leaves[TREES], leaves2[TREES];
    check_fill(x, N * D, 8);
    for (int i = 0; i < 50; i++)   /* duplicates must not stall the splits */
        memcpy(x + i * D, x, D * sizeof *x);
    gm_set_num_threads(1);
    CHECK(gm_rp_forest(order, ptr, leaves, x, N, D, LEAF, 42, 0, TREES, ws) == GM_OK);
    gm_set_num_threads(2);
    CHECK(gm_rp_forest(order2, ptr, leaves2, x, N, D, LEAF, 42, 0, TREES, ws) == GM_OK);
    gm_set_num_threads(0);
    CHECK(memcmp(order, order2, TREES * N * sizeof *order) == 0);
    int permutation = 1, sizes = 1;
    for (int t = 0; t < TREES; t++) {
        char *seen = calloc(N, 1);
        for (int p = 0; p < N; p++)
            seen[order[t * N + p]]++;
        for (int i = 0; i < N; i++)
            permutation &= seen[i] == 1;
        free(seen);
        const int64_t *lp = ptr + t * (N + 1);
        sizes &= lp[0] == 0 && lp[leaves[t]] == N && leaves[t] >= N / LEAF;
        for (int l = 0; l < leaves[t]; l++)
            sizes &= lp[l + 1] > lp[l] && lp[l + 1] - lp[l] <= LEAF;
    }
    CHECK(permutation);
    CHECK(sizes);
    /* another tree index gives another tree */
    CHECK(gm_rp_forest(order2, ptr, leaves2, x, N, D, LEAF, 42, 1, 1, ws) == GM_OK);
    CHECK(memcmp(order + N, order2, N * sizeof *order) == 0);
    CHECK(gm_rp_forest(order2, ptr, leaves2, x, N, D, 0, 42, 0, 1, ws) == GM_ERR_ARG);
    free(x), free(ws), free(order), free(ptr), free(order2);
}

/* Trees, then NN-descent until it settles; returns the number of
 * iterations. */
static int approximate(int64_t *idx, float *dist, const float *x, int threads)
{
    enum { TREES = 4, LEAF = 16, CAND = 16 };
    gm_set_num_threads(threads);
    float *sq = malloc(N * K * sizeof *sq), *ws = malloc(gm_rp_forest_workspace_size(N, D, TREES) * sizeof *ws);
    uint8_t *flags = malloc(N * K);
    int64_t *order = malloc(TREES * N * sizeof *order), *ptr = malloc(TREES * (N + 1) * sizeof *ptr), leaves[TREES];
    void *dws = malloc(gm_nn_descent_workspace_size(N, K, CAND));
    CHECK(gm_knn_graph_init(idx, sq, flags, N, K) == GM_OK);
    CHECK(gm_rp_forest(order, ptr, leaves, x, N, D, LEAF, 7, 0, TREES, ws) == GM_OK);
    for (int t = 0; t < TREES; t++)
        CHECK(gm_knn_graph_add_leaves(idx, sq, flags, x, N, D, K, order + t * N, ptr + t * (N + 1), leaves[t]) ==
              GM_OK);
    CHECK(gm_knn_graph_fill_random(idx, sq, flags, x, N, D, K, 7) == GM_OK);
    int it = 0;
    int64_t updates = 1;
    for (; it < 20 && updates > 0; it++)
        CHECK(gm_nn_descent_iteration(idx, sq, flags, x, N, D, K, CAND, 7, it, dws, &updates) == GM_OK);
    CHECK(gm_knn_graph_finish(idx, dist, x, N, D, K) == GM_OK);
    gm_set_num_threads(0);
    free(sq), free(ws), free(flags), free(order), free(ptr), free(dws);
    return it;
}

static void test_nn_descent(void)
{
    float *x = malloc(N * D * sizeof *x), *d1 = malloc(N * K * sizeof *d1), *d2 = malloc(N * K * sizeof *d2);
    int64_t *i1 = malloc(N * K * sizeof *i1), *i2 = malloc(N * K * sizeof *i2), want[K];
    check_fill(x, N * D, 11);
    int it1 = approximate(i1, d1, x, 1), it2 = approximate(i2, d2, x, 2);
    CHECK(it1 == it2 && it1 < 20);
    CHECK(memcmp(i1, i2, N * K * sizeof *i1) == 0);
    CHECK(memcmp(d1, d2, N * K * sizeof *d1) == 0);
    int hits = 0, sorted = 1;
    for (int q = 0; q < N; q++) {
        brute_knn(want, x, N, D, K, q);
        for (int t = 0; t < K; t++)
            for (int s = 0; s < K; s++)
                hits += i1[q * K + t] == want[s];
        for (int t = 1; t < K; t++)
            sorted &= d1[q * K + t - 1] <= d1[q * K + t];
    }
    CHECK(hits >= 0.97 * N * K);
    CHECK(sorted);
    float sq[K];
    uint8_t flags[K];
    CHECK(gm_knn_graph_init(i1, sq, flags, 1, K) == GM_OK);
    CHECK(gm_knn_graph_finish(i1, d1, x, 1, D, K) == GM_ERR_ARG);   /* empty slots */
    free(x), free(d1), free(d2), free(i1), free(i2);
}

int main(void)
{
    RUN(test_exact_against_brute_force);
    RUN(test_distance_lanes_are_isa_independent);
    RUN(test_rp_forest);
    RUN(test_nn_descent);
    return check_summary();
}
