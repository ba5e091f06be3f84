/* test_tsne.c - perplexity calibration; Barnes-Hut steps against the exact
 * gradient, bitwise the same for one and two threads; degenerate layouts
 * and argument checks. */
#include "../gm.h"
#include "check.h"

#include <string.h>

enum { N = 300 };

/* A ring graph: each point linked to its two neighbours, P summing to 1. */
static void ring(int64_t *indptr, int64_t *indices, float *p)
{
    for (int i = 0; i <= N; i++)
        indptr[i] = 2 * i;
    for (int i = 0; i < N; i++) {
        indices[2 * i] = (i + 1) % N, indices[2 * i + 1] = (i + N - 1) % N;
        p[2 * i] = p[2 * i + 1] = 1.0f / (2 * N);
    }
}

static void reset(float *update, float *gains)
{
    for (int i = 0; i < 2 * N; i++)
        update[i] = 0, gains[i] = 1;
}

static void test_steps_are_thread_independent(void)
{
    static int64_t indptr[N + 1], indices[2 * N];
    static float p[2 * N], y1[2 * N], y2[2 * N], upd[2 * N], gains[2 * N];
    ring(indptr, indices, p);
    gm_tsne_graph g = {N, indptr, indices, p};
    check_fill(y1, 2 * N, 4);
    memcpy(y2, y1, sizeof y1);
    double kl = -1;
    reset(upd, gains);
    gm_set_num_threads(1);
    CHECK(gm_tsne_optimize(y1, upd, gains, &g, 20, 4.0f, 0.5f, 50.0f, 0.5f, &kl) == GM_OK);
    CHECK(kl >= 0 && isfinite(kl));
    reset(upd, gains);
    gm_set_num_threads(2);
    CHECK(gm_tsne_optimize(y2, upd, gains, &g, 20, 4.0f, 0.5f, 50.0f, 0.5f, NULL) == GM_OK);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    gm_set_num_threads(0);
}

static void test_one_step_follows_the_exact_gradient(void)
{
    static int64_t indptr[N + 1], indices[2 * N];
    static float p[2 * N], y[2 * N], y1[2 * N], upd[2 * N], gains[2 * N], exact[2 * N];
    ring(indptr, indices, p);
    gm_tsne_graph g = {N, indptr, indices, p};
    check_fill(y, 2 * N, 5);
    for (int i = 0; i < 2 * N; i++)
        y[i] *= 10;
    CHECK(gm_tsne_gradient_ref(exact, y, &g, 1.0f) == GM_OK);
    /* lr 1, momentum 0, fresh gains: y1 = y - gain * grad with gain 1.2
     * where grad > 0 and 0.8 elsewhere */
    memcpy(y1, y, sizeof y);
    reset(upd, gains);
    CHECK(gm_tsne_optimize(y1, upd, gains, &g, 1, 1.0f, 0.0f, 1.0f, 0.2f, NULL) == GM_OK);
    double err = 0, norm = 0;
    for (int i = 0; i < 2 * N; i++) {
        double step = (double)y1[i] - y[i], grad = -step / (step < 0 ? 1.2 : 0.8);
        err += (grad - exact[i]) * (grad - exact[i]), norm += (double)exact[i] * exact[i];
    }
    CHECK(sqrt(err / norm) < 0.03);
}

static void test_identical_points_stay_finite(void)
{
    static int64_t indptr[N + 1], indices[2 * N];
    static float p[2 * N], y[2 * N], upd[2 * N], gains[2 * N];
    ring(indptr, indices, p);
    gm_tsne_graph g = {N, indptr, indices, p};
    for (int i = 0; i < 2 * N; i++)
        y[i] = (i % 2) ? 3.0f : -1.0f;
    reset(upd, gains);
    double kl = -1;
    CHECK(gm_tsne_optimize(y, upd, gains, &g, 5, 12.0f, 0.5f, 10.0f, 0.5f, &kl) == GM_OK);
    int finite = isfinite(kl);
    for (int i = 0; i < 2 * N; i++)
        finite &= isfinite(y[i]) != 0;
    CHECK(finite);
}

static void test_arguments(void)
{
    static int64_t indptr[N + 1], indices[2 * N];
    static float p[2 * N], y[2 * N], upd[2 * N], gains[2 * N];
    ring(indptr, indices, p);
    gm_tsne_graph g = {N, indptr, indices, p};
    reset(upd, gains);
    CHECK(gm_tsne_optimize(y, upd, gains, &g, -1, 1.0f, 0.5f, 10.0f, 0.5f, NULL) == GM_ERR_ARG);
    CHECK(gm_tsne_optimize(y, upd, gains, &g, 1, 1.0f, 0.5f, 0.0f, 0.5f, NULL) == GM_ERR_ARG);
    CHECK(gm_tsne_optimize(y, upd, gains, &g, 1, 1.0f, 0.5f, 10.0f, -1.0f, NULL) == GM_ERR_ARG);
    indices[5] = N;   /* out of range */
    CHECK(gm_tsne_optimize(y, upd, gains, &g, 1, 1.0f, 0.5f, 10.0f, 0.5f, NULL) == GM_ERR_ARG);
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
    RUN(test_steps_are_thread_independent);
    RUN(test_one_step_follows_the_exact_gradient);
    RUN(test_identical_points_stay_finite);
    RUN(test_arguments);
    RUN(test_affinities);
    return check_summary();
}
