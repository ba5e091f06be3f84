/* test_latent.c - kNN against brute force; t-SNE and UMAP steps on a small
 * graph stay finite and deterministic; argument checks. */
#include "../gm.h"
#include "check.h"

#include <string.h>

enum { N = 300, D = 7, K = 6 };

static void test_knn_against_brute_force(void)
{
    float *x = malloc(N * D * sizeof *x), *dist = malloc(N * K * sizeof *dist);
    int64_t *idx = malloc(N * K * sizeof *idx);
    float *ws = malloc(gm_knn_workspace_size(N, N) * sizeof *ws);
    check_fill(x, N * D, 9);
    CHECK(gm_knn_exact(idx, dist, x, N, x, N, D, K, 1, ws) == GM_OK);
    int all_ok = 1;
    for (int q = 0; q < N; q++) {
        /* the k-th neighbour's distance bounds every other point's */
        for (int j = 0; j < N; j++) {
            if (j == q)
                continue;
            double s = 0;
            for (int c = 0; c < D; c++)
                s += (double)(x[q * D + c] - x[j * D + c]) * (x[q * D + c] - x[j * D + c]);
            int listed = 0;
            for (int t = 0; t < K; t++)
                listed |= idx[q * K + t] == j;
            if (!listed && sqrt(s) < dist[q * K + K - 1] - 1e-5)
                all_ok = 0;
        }
        for (int t = 1; t < K; t++)
            all_ok &= dist[q * K + t - 1] <= dist[q * K + t];
    }
    CHECK(all_ok);
    CHECK(gm_knn_exact(idx, dist, x, N, x, N, D, N, 1, ws) == GM_ERR_ARG);
    free(x), free(dist), free(idx), free(ws);
}

static void test_tsne_and_umap_steps(void)
{
    /* a ring graph: each point linked to its two neighbours */
    int64_t indptr[N + 1], indices[2 * N];
    float p[2 * N], eps[2 * N], next_s[2 * N], next_n[2 * N];
    for (int i = 0; i <= N; i++)
        indptr[i] = 2 * i;
    for (int i = 0; i < N; i++) {
        indices[2 * i] = (i + 1) % N, indices[2 * i + 1] = (i + N - 1) % N;
        p[2 * i] = p[2 * i + 1] = 1.0f / (2 * N);
        eps[2 * i] = eps[2 * i + 1] = 1.0f;
        next_s[2 * i] = next_s[2 * i + 1] = 1.0f;
        next_n[2 * i] = next_n[2 * i + 1] = 0.2f;
    }
    float y1[2 * N], y2[2 * N], upd[2 * N] = {0}, gains[2 * N];
    check_fill(y1, 2 * N, 4);
    memcpy(y2, y1, sizeof y1);
    for (int i = 0; i < 2 * N; i++)
        gains[i] = 1.0f;
    gm_tsne_graph g = {N, indptr, indices, p};
    double kl = -1;
    gm_set_num_threads(1);
    CHECK(gm_tsne_optimize(y1, upd, gains, &g, 20, 4.0f, 0.5f, 50.0f, 0.5f, &kl) == GM_OK);
    CHECK(kl >= 0 && isfinite(kl));
    float upd2[2 * N] = {0}, gains2[2 * N];
    for (int i = 0; i < 2 * N; i++)
        gains2[i] = 1.0f;
    gm_set_num_threads(2);
    CHECK(gm_tsne_optimize(y2, upd2, gains2, &g, 20, 4.0f, 0.5f, 50.0f, 0.5f, NULL) == GM_OK);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    gm_umap_graph ug = {N, N, indptr, indices, eps};
    CHECK(gm_umap_optimize(y1, NULL, &ug, next_s, next_n, 2, 0, 10, 10, 1.58f, 0.9f, 1.0f, 1.0f, 5.0f, 7) == GM_OK);
    int finite = 1;
    for (int i = 0; i < 2 * N; i++)
        finite &= isfinite(y1[i]);
    CHECK(finite);
    gm_set_num_threads(0);
    indices[5] = N;   /* out of range */
    CHECK(gm_tsne_optimize(y1, upd, gains, &g, 1, 1.0f, 0.5f, 10.0f, 0.5f, NULL) == GM_ERR_ARG);
    CHECK(gm_umap_optimize(y1, NULL, &ug, next_s, next_n, 2, 0, 1, 1, 1.58f, 0.9f, 1.0f, 1.0f, 5.0f, 7) == GM_ERR_ARG);
}

static void test_affinities(void)
{
    float dist[2 * 5] = {0.5f, 1, 2, 3, 4, 1, 1, 1, 1, 1}, p[10];
    CHECK(gm_tsne_affinities(p, dist, 2, 5, 2.0f) == GM_OK);
    double entropy = 0, sum = 0;
    for (int j = 0; j < 5; j++)
        entropy -= p[j] * log(p[j]), sum += p[j];
    CHECK_CLOSE(sum, 1.0, 1e-5, 0);
    CHECK_CLOSE(entropy, log(2.0), 1e-4, 0);
    CHECK_CLOSE(p[7], 0.2, 1e-6, 0);     /* equal distances: uniform */
    dist[3] = NAN;
    CHECK(gm_tsne_affinities(p, dist, 2, 5, 2.0f) == GM_ERR_NONFINITE);
}

int main(void)
{
    RUN(test_knn_against_brute_force);
    RUN(test_tsne_and_umap_steps);
    RUN(test_affinities);
    return check_summary();
}
