/* test_training_kernels.c - activations, losses, batch norm, optimisers and
 * random fills: values against closed forms, argument checks, and the
 * thread-count independence of every reduction. */
#include "../gm.h"
#include "check.h"

#include <string.h>

static void test_activations(void)
{
    float x[5] = {-2.0f, -0.5f, 0.0f, 0.5f, 30.0f}, y[5], dx[5], ones[5] = {1, 1, 1, 1, 1};
    CHECK(gm_activation_forward(y, x, 5, GM_ACT_LEAKY_RELU, 0.1f) == GM_OK);
    CHECK_CLOSE(y[0], -0.2, 1e-7, 0);
    CHECK_CLOSE(y[4], 30.0, 0, 0);
    CHECK(gm_activation_forward(y, x, 5, GM_ACT_SOFTPLUS, 0) == GM_OK);
    CHECK_CLOSE(y[2], log(2.0), 1e-7, 0);
    CHECK_CLOSE(y[4], 30.0, 1e-6, 0);
    CHECK(gm_activation_forward(y, x, 5, GM_ACT_SIGMOID, 0) == GM_OK);
    CHECK(gm_activation_backward(dx, ones, NULL, y, 5, GM_ACT_SIGMOID, 0) == GM_OK);
    CHECK_CLOSE(dx[2], 0.25, 1e-7, 0);
    CHECK(gm_activation_backward(dx, ones, NULL, y, 5, GM_ACT_RELU, 0) == GM_ERR_ARG);
    CHECK(gm_activation_forward(y, x, 5, (gm_activation)9, 0) == GM_ERR_ARG);
}

static void test_bias(void)
{
    float x[2 * 3 * 2], db[3];
    check_fill(x, 12, 1);
    float b[3] = {1, 2, 3}, y[12];
    CHECK(gm_bias_add(y, x, b, 2, 3, 2) == GM_OK);
    CHECK_CLOSE(y[5], x[5] + 3, 1e-7, 0);
    CHECK(gm_bias_grad(db, x, 2, 3, 2, 0) == GM_OK);
    CHECK_CLOSE(db[1], x[2] + x[3] + x[8] + x[9], 1e-6, 0);
}

static void test_losses(void)
{
    float logits[4] = {0.0f, 100.0f, -100.0f, 2.0f}, t[4] = {1, 0, 0, 1}, loss[2], grad[4];
    CHECK(gm_bce_with_logits(loss, grad, logits, t, 2, 2, 1.0f) == GM_OK);
    CHECK_CLOSE(loss[0], log(2.0) + 100.0, 1e-5, 0);
    CHECK_CLOSE(grad[1], 1.0, 1e-6, 0);
    int64_t labels[2] = {1, 2};
    CHECK(gm_softmax_cross_entropy(loss, grad, logits, labels, 2, 2, 1.0f) == GM_ERR_ARG);
    labels[1] = 0;
    CHECK(gm_softmax_cross_entropy(loss, grad, logits, labels, 2, 2, 1.0f) == GM_OK);
    CHECK_CLOSE(loss[0], 0.0, 1e-6, 0);
    float mu[2] = {1, 0}, lv[2] = {0, 0};
    CHECK(gm_gaussian_kl(loss, NULL, NULL, mu, lv, 1, 2, 1.0f) == GM_OK);
    CHECK_CLOSE(loss[0], 0.5, 1e-7, 0);
    CHECK(gm_gaussian_kl(loss, grad, NULL, mu, lv, 1, 2, 1.0f) == GM_ERR_ARG);
    float mean[2] = {0, 0}, target[2] = {1, -1}, glv[1];
    CHECK(gm_gaussian_nll(loss, grad, glv, mean, target, lv, GM_LOGVAR_SCALAR, 1, 2, 1.0f) == GM_OK);
    CHECK_CLOSE(loss[0], log(2 * 3.14159265358979) + 1.0, 1e-6, 0);
    CHECK_CLOSE(glv[0], 0.0, 1e-7, 0);
}

/* Binary cross-entropy, vector and portable rows alike, against double
 * precision per element: logits from -100 to 100 (tiny to huge exp(-|x|)),
 * targets in [0, 1], a row length with a tail past the 8 lanes. */
static void test_bce_accuracy(void)
{
    enum { N = 41, D = 203 };
    float *x = malloc(N * D * sizeof *x), *t = malloc(N * D * sizeof *t);
    float *g = malloc(N * D * sizeof *g), loss[N];
    for (int i = 0; i < N * D; i++) {
        x[i] = -100.0f + 200.0f * (float)i / (N * D - 1);
        t[i] = (float)((i * 37) % 11) / 10.0f;
    }
    const unsigned masks[2] = {~0u, 0u};
    for (int m = 0; m < 2; m++) {
        gm_cpu_set_allowed(masks[m]);
        CHECK(gm_bce_with_logits(loss, g, x, t, N, D, 0.5f) == GM_OK);
        int close = 1;
        for (int i = 0; i < N; i++) {
            double sum = 0;
            for (int j = 0; j < D; j++) {
                double v = x[i * D + j], e = exp(-fabs(v));
                sum += fmax(v, 0) - v * t[i * D + j] + log1p(e);
                double s = v >= 0 ? 1 / (1 + e) : e / (1 + e), want = 0.5 * (s - t[i * D + j]);
                close &= fabs(g[i * D + j] - want) <= 1e-7 + 1e-6 * fabs(want);
            }
            close &= fabs(loss[i] - sum) <= 2e-6 * sum;
        }
        CHECK(close);
    }
    gm_cpu_set_allowed(~0u);
    free(x), free(t), free(g);
}

static void test_batchnorm_is_thread_independent(void)
{
    enum { N = 16, C = 8, INNER = 49, SIZE = N * C * INNER };
    float *x = malloc(SIZE * sizeof *x), *y1 = malloc(SIZE * sizeof *y1), *y2 = malloc(SIZE * sizeof *y2);
    float gamma[C], beta[C], rm[C] = {0}, rv[C], sm[C], si[C], dg[C] = {0}, db[C] = {0};
    check_fill(x, SIZE, 3);
    for (int c = 0; c < C; c++)
        gamma[c] = 1.0f, beta[c] = 0.0f, rv[c] = 1.0f;
    gm_set_num_threads(1);
    CHECK(gm_batchnorm_forward(y1, sm, si, x, gamma, beta, rm, rv, N, C, INNER, 1, 0.1f, 1e-5f) == GM_OK);
    gm_set_num_threads(2);
    CHECK(gm_batchnorm_forward(y2, sm, si, x, gamma, beta, rm, rv, N, C, INNER, 1, 0.1f, 1e-5f) == GM_OK);
    gm_set_num_threads(0);
    CHECK(memcmp(y1, y2, SIZE * sizeof *y1) == 0);
    double mean = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < INNER; j++)
            mean += y1[(i * C) * INNER + j];
    CHECK_CLOSE(mean / (N * INNER), 0.0, 1e-5, 0);
    CHECK(gm_batchnorm_backward(y2, dg, db, x, x, gamma, sm, si, N, C, INNER, 1) == GM_OK);
    CHECK(gm_batchnorm_forward(y1, sm, si, x, gamma, beta, rm, rv, 1, C, 1, 1, 0.1f, 1e-5f) == GM_ERR_ARG);
    free(x), free(y1), free(y2);
}

static void test_optimisers(void)
{
    float p[2] = {1, -1}, g[2] = {0.5f, 0.5f}, v[2] = {0, 0}, m[2] = {0, 0};
    CHECK(gm_sgd_step(p, g, v, 2, 0.1f, 0.9f, 0, 0, 0, 1) == GM_OK);
    CHECK_CLOSE(p[0], 0.95, 1e-7, 0);
    CHECK(gm_sgd_step(p, g, v, 2, 0.1f, 0.9f, 0.5f, 0, 1, 0) == GM_ERR_ARG);
    float q[2] = {1, -1}, s[2] = {0, 0};
    CHECK(gm_adam_step(q, g, m, s, 2, 1, 0.01f, 0.9f, 0.999f, 1e-8f, 0, 0) == GM_OK);
    CHECK_CLOSE(q[0], 0.99, 1e-6, 0);   /* the first Adam step moves by lr */
    CHECK(gm_adam_step(q, g, m, s, 2, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0, 0) == GM_ERR_ARG);
}

static void test_fills(void)
{
    enum { N = 100001 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    gm_set_num_threads(1);
    CHECK(gm_rng_normal(a, N, 42, 3, 17, 0.0f, 1.0f) == GM_OK);
    gm_set_num_threads(2);
    CHECK(gm_rng_normal(b, N, 42, 3, 17, 0.0f, 1.0f) == GM_OK);
    gm_set_num_threads(0);
    CHECK(memcmp(a, b, N * sizeof *a) == 0);
    double sum = 0, sq = 0;
    for (int i = 0; i < N; i++)
        sum += a[i], sq += (double)a[i] * a[i];
    CHECK_CLOSE(sum / N, 0.0, 0.02, 0);
    CHECK_CLOSE(sq / N, 1.0, 0.03, 0);
    CHECK(gm_rng_bernoulli(a, N, NULL, 0.25f, 1, 2, 3) == GM_OK);
    sum = 0;
    for (int i = 0; i < N; i++)
        sum += a[i];
    CHECK_CLOSE(sum / N, 0.25, 0.01, 0);
    CHECK(gm_rng_bernoulli(a, N, NULL, 1.5f, 1, 2, 3) == GM_ERR_ARG);
    int64_t perm[50];
    int seen[50] = {0};
    CHECK(gm_rng_permutation(perm, 50, 5, 2, 0) == GM_OK);
    for (int i = 0; i < 50; i++)
        seen[perm[i]]++;
    int all_once = 1;
    for (int i = 0; i < 50; i++)
        all_once &= seen[i] == 1;
    CHECK(all_once);
    a[500] = NAN;
    CHECK(!gm_all_finite(a, N));
    free(a), free(b);
}

int main(void)
{
    RUN(test_activations);
    RUN(test_bias);
    RUN(test_losses);
    RUN(test_bce_accuracy);
    RUN(test_batchnorm_is_thread_independent);
    RUN(test_optimisers);
    RUN(test_fills);
    return check_summary();
}
