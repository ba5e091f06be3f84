/* test_umap.c - smooth kNN calibration, the fuzzy union, the layout's x^b
 * and coefficients (vector and portable paths alike), sparse products,
 * and layout epochs that do not depend on the thread count or on how they
 * are split into calls. */
#include "../gm.h"
#include "check.h"

#include <string.h>

static void test_smooth_knn(void)
{
    enum { N = 3, M = 6 };
    float d[N * M] = {0.0f, 0.0f, 0.5f, 1.0f, 1.5f, 2.0f,     /* two duplicates */
                      1.0f, 1.1f, 1.3f, 2.0f, 2.2f, 3.0f,
                      0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};    /* all identical */
    float w[N * M], rho[N], sigma[N];
    float target = (float)log2(M + 1.0);
    CHECK(gm_umap_smooth_knn(w, rho, sigma, d, N, M, target, 64, 1) == GM_OK);
    CHECK(rho[0] == 0.5f && rho[1] == 1.0f && rho[2] == 0.0f);
    double s = 0;
    for (int j = 0; j < M; j++)
        s += w[M + j];
    CHECK_CLOSE(s, target, 1e-4, 0);
    /* at or below rho: full membership; row 0 has three such, more than
     * the target, so its sigma sits at the floor (1e-3 of its mean) */
    CHECK(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f && w[M] == 1.0f);
    CHECK_CLOSE(sigma[0], 1e-3 * 5.0 / (M + 1), 1e-9, 1e-6);
    for (int j = 0; j < M; j++)
        CHECK(w[2 * M + j] == 1.0f);
    /* an all-zero row floors at 1e-3 of the mean over all rows */
    CHECK_CLOSE(sigma[2], 1e-3 * (5.0 + 10.6) / (N * (M + 1)), 1e-9, 1e-5);
    CHECK(gm_umap_smooth_knn(w, rho, sigma, d, N, M, target, 64, 0) == GM_OK);
    CHECK(rho[0] == 0.0f && w[0] == 1.0f && w[2] < 1.0f);
    d[4] = -1.0f;
    CHECK(gm_umap_smooth_knn(w, rho, sigma, d, N, M, target, 64, 1) == GM_ERR_NONFINITE);
    d[4] = NAN;
    CHECK(gm_umap_smooth_knn(w, rho, sigma, d, N, M, target, 64, 1) == GM_ERR_NONFINITE);
    CHECK(gm_umap_smooth_knn(w, rho, sigma, d, N, M, 0.0f, 64, 1) == GM_ERR_ARG);
}

static void test_pow_and_coefficients(void)
{
    enum { N = 203 };   /* lanes and a tail */
    float x[N], native[N], portable[N], c_native[N], c_portable[N];
    uint8_t attract[N];
    for (int i = 0; i < N; i++) {
        x[i] = i == 7 ? 0.0f : (float)pow(10.0, -6 + 10.0 * i / N);
        attract[i] = (uint8_t)(i % 3 == 0);
    }
    gm_umap_pow(native, x, N, 0.8950f);
    gm_umap_coefficients(c_native, x, attract, N, 1.577f, 0.895f, 1.0f);
    gm_cpu_set_allowed(0);
    gm_umap_pow(portable, x, N, 0.8950f);
    gm_umap_coefficients(c_portable, x, attract, N, 1.577f, 0.895f, 1.0f);
    gm_cpu_set_allowed(~0u);
    CHECK(memcmp(native, portable, sizeof native) == 0);
    CHECK(memcmp(c_native, c_portable, sizeof c_native) == 0);
    int close = 1;
    for (int i = 0; i < N; i++) {
        if (i == 7)
            continue;
        double pb = pow((double)x[i], (double)0.895f), a = 1.577f, b = 0.895f;
        double want = attract[i] ? -2 * a * b * pb / x[i] / (a * pb + 1)
                                 : 2 * b / ((0.001 + x[i]) * (a * pb + 1));
        close &= fabs(native[i] - pb) <= 1e-5 * pb && fabs(c_native[i] - want) <= 1e-5 * fabs(want);
    }
    CHECK(close);
    CHECK(c_native[7] == 0.0f);           /* coincident points: no force */
}

/* The union of three points' edges, with a repeated column, a self-loop
 * and a zero weight, worked out by hand. */
static void test_fuzzy_union_small(void)
{
    int64_t idx[9] = {1, 1, 0, 0, 2, 2, 1, 0, 0}, indptr[4], cols[10];
    double w[9] = {0.5, 0.25, 0.75, 0.5, 0.0, 0.125, 0.375, 0.5, 0.25}, vals[10];
    static unsigned char ws[4096];
    CHECK(gm_umap_fuzzy_union_workspace_size(3, 3) <= sizeof ws);
    CHECK(gm_umap_fuzzy_union_count(indptr, ws, idx, w, 3, 3) == GM_OK);
    CHECK(indptr[0] == 0 && indptr[1] == 5 && indptr[2] == 7 && indptr[3] == 10);
    CHECK(gm_umap_fuzzy_union_fill(cols, vals, indptr, ws, 3, 3) == GM_OK);
    int64_t want_cols[10] = {0, 1, 1, 2, 2, 0, 2, 0, 0, 1};
    double want_vals[10] = {0.75 + 0.75 - 0.75 * 0.75, 0.75, 0.625, 0.5, 0.25,
                            0.75, 0.125 + 0.375 - 0.125 * 0.375, 0.5, 0.25, 0.375 + 0.125 - 0.375 * 0.125};
    CHECK(memcmp(cols, want_cols, sizeof cols) == 0);
    CHECK(memcmp(vals, want_vals, sizeof vals) == 0);
    idx[4] = 3;                    /* out of range, even with weight 0 */
    CHECK(gm_umap_fuzzy_union_count(indptr, ws, idx, w, 3, 3) == GM_ERR_ARG);
    idx[4] = -1;
    CHECK(gm_umap_fuzzy_union_count(indptr, ws, idx, w, 3, 3) == GM_ERR_ARG);
    idx[4] = 2;
    w[7] = NAN;
    CHECK(gm_umap_fuzzy_union_count(indptr, ws, idx, w, 3, 3) == GM_ERR_NONFINITE);
    w[7] = INFINITY;
    CHECK(gm_umap_fuzzy_union_count(indptr, ws, idx, w, 3, 3) == GM_ERR_NONFINITE);
    /* no neighbours, and no points */
    CHECK(gm_umap_fuzzy_union_count(indptr, NULL, NULL, NULL, 3, 0) == GM_OK);
    CHECK(indptr[3] == 0 && gm_umap_fuzzy_union_fill(NULL, NULL, indptr, NULL, 3, 0) == GM_OK);
    CHECK(gm_umap_fuzzy_union_count(indptr, NULL, NULL, NULL, 0, 3) == GM_OK && indptr[0] == 0);
}

enum { FN = 70, FM = 40 };   /* rows longer than the rank sort's */

/* Distinct columns other than i, a few of weight 0; the union on t
 * threads into indptr, cols, vals (FN * FM * 2). */
static void fuzzy_union_on(int t, int64_t *indptr, int64_t *cols, double *vals, int m)
{
    static int64_t idx[FN * FM];
    static double w[FN * FM];
    static float u[FN * FM];
    static unsigned char ws[2 * FN * FM * 16 + (2 * FN + 1) * 8];
    check_fill(u, FN * FM, 31);
    for (int i = 0; i < FN; i++)
        for (int j = 0; j < m; j++) {
            /* a stride coprime to FN, shifted per row: distinct, never i */
            idx[i * m + j] = (i + 1 + (j * 17 + i) % (FN - 1)) % FN;
            w[i * m + j] = u[i * m + j] < -0.8f ? 0.0 : 0.5 + 0.5 * u[i * m + j];
        }
    CHECK(gm_umap_fuzzy_union_workspace_size(FN, m) <= sizeof ws);
    gm_set_num_threads(t);
    CHECK(gm_umap_fuzzy_union_count(indptr, ws, idx, w, FN, m) == GM_OK);
    CHECK(indptr[FN] <= 2 * FN * m);
    if (indptr[FN] <= 2 * FN * m)
        CHECK(gm_umap_fuzzy_union_fill(cols, vals, indptr, ws, FN, m) == GM_OK);
    gm_set_num_threads(0);
    /* against the dense P + P^T - P * P^T */
    static double P[FN][FN];
    memset(P, 0, sizeof P);
    for (int i = 0; i < FN; i++)
        for (int j = 0; j < m; j++)
            P[i][idx[i * m + j]] = w[i * m + j];
    int ok = 1;
    int64_t e = 0;
    for (int i = 0; i < FN; i++)
        for (int c = 0; c < FN; c++) {
            double want = P[i][c] + P[c][i] - P[i][c] * P[c][i];
            if (want == 0)
                continue;
            ok &= e < indptr[i + 1] && cols[e] == c && fabs(vals[e] - want) <= 1e-15;
            e++;
        }
    CHECK(ok && e == indptr[FN]);
}

static void test_fuzzy_union_threads(void)
{
    static int64_t p1[FN + 1], p2[FN + 1], c1[2 * FN * FM], c2[2 * FN * FM];
    static double v1[2 * FN * FM], v2[2 * FN * FM];
    for (int m = 5; m <= FM; m += FM - 5) {
        fuzzy_union_on(1, p1, c1, v1, m);
        fuzzy_union_on(2, p2, c2, v2, m);
        CHECK(memcmp(p1, p2, sizeof p1) == 0);
        CHECK(memcmp(c1, c2, (size_t)p1[FN] * sizeof *c1) == 0 && memcmp(v1, v2, (size_t)p1[FN] * sizeof *v1) == 0);
    }
}

static void test_chebyshev_step(void)
{
    int64_t indptr[4] = {0, 2, 2, 3};
    int32_t indices[3] = {2, 0, 1};
    double values[3] = {2, -1, 4}, y1[3 * 2] = {1, 2, 3, 4, 5, 6}, y0[3 * 2] = {1, 1, 1, 1, 1, 1}, out[3 * 2];
    CHECK(gm_csr_chebyshev_step(out, indptr, indices, values, 3, y1, NULL, 2, 1.0, 0.0) == GM_OK);
    CHECK(out[0] == 2 * 5 - 1 && out[1] == 2 * 6 - 2 && out[2] == 0 && out[3] == 0 && out[4] == 12 && out[5] == 16);
    CHECK(gm_csr_chebyshev_step(out, indptr, indices, values, 3, y1, y0, 2, 2.0, 0.5) == GM_OK);
    CHECK(out[0] == 2 * (9 - 0.5) - 1 && out[5] == 2 * (16 - 3) - 1);
    indices[1] = 3;
    CHECK(gm_csr_chebyshev_step(out, indptr, indices, values, 3, y1, NULL, 2, 1.0, 0.0) == GM_ERR_ARG);
    indices[1] = -1;
    CHECK(gm_csr_chebyshev_step(out, indptr, indices, values, 3, y1, NULL, 2, 1.0, 0.0) == GM_ERR_ARG);
    indices[1] = 0;
    indptr[1] = 4;                 /* past the end, then decreasing */
    CHECK(gm_csr_chebyshev_step(out, indptr, indices, values, 3, y1, NULL, 2, 1.0, 0.0) == GM_ERR_ARG);
    indptr[1] = 2;
}

/* Every width, fixed or not, against the sums in stored order. */
static void test_chebyshev_step_widths(void)
{
    enum { N = 50, E = 6, C = 19 };
    static int64_t indptr[N + 1];
    static int32_t indices[N * E];
    static float f[N * E + 2 * N * C];
    static double values[N * E], y1[N * C], y0[N * C], out[N * C];
    check_fill(f, N * E + 2 * N * C, 5);
    for (int i = 0; i <= N; i++)
        indptr[i] = (int64_t)i * E - (i > 0 && i < N ? i % 3 : 0);   /* uneven rows */
    for (int e = 0; e < N * E; e++) {
        indices[e] = (int32_t)((e * 7 + 3) % N);
        values[e] = f[e];
    }
    for (int cols = 1; cols <= C; cols++) {
        for (int t = 0; t < N * cols; t++) {
            y1[t] = f[N * E + t];
            y0[t] = f[N * E + N * C + t];
        }
        CHECK(gm_csr_chebyshev_step(out, indptr, indices, values, N, y1, y0, cols, 1.5, 0.25) == GM_OK);
        int same = 1;
        for (int i = 0; i < N; i++)
            for (int c = 0; c < cols; c++) {
                double acc = 0;
                for (int64_t e = indptr[i]; e < indptr[i + 1]; e++)
                    acc += values[e] * y1[indices[e] * cols + c];
                same &= out[i * cols + c] == 1.5 * (acc - 0.25 * y1[i * cols + c]) - y0[i * cols + c];
            }
        CHECK(same);
    }
}

enum { P = 400, K = 6 };

/* A symmetric ring-like graph with uneven sampling rates. */
static void ring(int64_t *indptr, int64_t *indices, float *eps)
{
    for (int i = 0; i <= P; i++)
        indptr[i] = (int64_t)i * K;
    for (int i = 0; i < P; i++)
        for (int t = 0; t < K; t++) {
            int step = t / 2 + 1, j = t % 2 ? (i + step) % P : (i + P - step) % P;
            indices[i * K + t] = j;
            eps[i * K + t] = (float)step;   /* same for (i, j) and (j, i) */
        }
}

static void run_layout(float *y, int threads, int per_call)
{
    static int64_t indptr[P + 1], indices[P * K];
    static float eps[P * K], next_s[P * K], next_n[P * K];
    ring(indptr, indices, eps);
    for (int e = 0; e < P * K; e++)
        next_s[e] = eps[e], next_n[e] = eps[e] / 5;
    check_fill(y, 2 * P, 12);
    for (int i = 0; i < 2 * P; i++)
        y[i] *= 10;
    gm_umap_graph g = {P, P, indptr, indices, eps};
    gm_set_num_threads(threads);
    for (int first = 0; first < 60; first += per_call)
        CHECK(gm_umap_optimize(y, NULL, &g, next_s, next_n, 2, first, per_call, 60, 1.577f, 0.895f, 1.0f, 1.0f,
                               5.0f, 9) == GM_OK);
    gm_set_num_threads(0);
}

static void test_layout_is_deterministic(void)
{
    static float y1[2 * P], y2[2 * P], y3[2 * P];
    run_layout(y1, 1, 60);
    run_layout(y2, 2, 60);
    run_layout(y3, 2, 6);   /* the same 60 epochs in ten calls */
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    CHECK(memcmp(y1, y3, sizeof y1) == 0);
    int finite = 1;
    for (int i = 0; i < 2 * P; i++)
        finite &= isfinite(y1[i]) != 0;
    CHECK(finite);
    /* neighbours on the ring end up closer than random pairs */
    double near = 0, far = 0;
    for (int i = 0; i < P; i++) {
        int j = (i + 1) % P, r = (i + P / 2) % P;
        near += hypot(y1[2 * i] - y1[2 * j], y1[2 * i + 1] - y1[2 * j + 1]);
        far += hypot(y1[2 * i] - y1[2 * r], y1[2 * i + 1] - y1[2 * r + 1]);
    }
    CHECK(near < 0.2 * far);
}

static void test_layout_arguments(void)
{
    static int64_t indptr[P + 1], indices[P * K];
    static float eps[P * K], ns[P * K], nn[P * K], y[2 * P], tail[2];
    ring(indptr, indices, eps);
    gm_umap_graph g = {P, P, indptr, indices, eps};
    CHECK(gm_umap_optimize(y, NULL, &g, ns, nn, 2, 0, 1, 1, 0.0f, 0.9f, 1, 1, 5, 0) == GM_ERR_ARG);  /* a = 0 */
    gm_umap_graph one_tail = {P, 1, indptr, indices, eps};
    CHECK(gm_umap_optimize(y, tail, &one_tail, ns, nn, 2, 0, 1, 1, 1.5f, 0.9f, 1, 1, 5, 0) == GM_ERR_ARG);
    eps[3] = 0;
    CHECK(gm_umap_optimize(y, NULL, &g, ns, nn, 2, 0, 1, 1, 1.5f, 0.9f, 1, 1, 5, 0) == GM_ERR_ARG);
    eps[3] = 1;
    indices[5] = P;   /* out of range */
    CHECK(gm_umap_optimize(y, NULL, &g, ns, nn, 2, 0, 1, 1, 1.5f, 0.9f, 1, 1, 5, 0) == GM_ERR_ARG);
}

int main(void)
{
    RUN(test_smooth_knn);
    RUN(test_pow_and_coefficients);
    RUN(test_fuzzy_union_small);
    RUN(test_fuzzy_union_threads);
    RUN(test_chebyshev_step);
    RUN(test_chebyshev_step_widths);
    RUN(test_layout_is_deterministic);
    RUN(test_layout_arguments);
    return check_summary();
}
