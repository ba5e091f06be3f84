/* test_optim.c - fused SGD / Adam / AdamW against a double-precision
 * transcription of the update rules, argument checks, and thread and ISA
 * independence. */
#include "../gm.h"
#include "check.h"

#include <string.h>

enum { N = 70001, STEPS = 4 };   /* N spans several parallel chunks */

static float param[N], grad[STEPS][N], state_a[N], state_b[N];
static double ref_p[N], ref_a[N], ref_b[N];

static void setup(void)
{
    check_fill(param, N, 1);
    for (int t = 0; t < STEPS; t++)
        check_fill(grad[t], N, 2 + (unsigned)t);
    for (int i = 0; i < N; i++)
        ref_p[i] = param[i], ref_a[i] = ref_b[i] = 0.0;
    memset(state_a, 0, sizeof state_a);
    memset(state_b, 0, sizeof state_b);
}

/* parameters are O(1): error relative to max(|p|, 1) */
static double max_error(void)
{
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double e = fabs(param[i] - ref_p[i]) / (fabs(ref_p[i]) + 1.0);
        worst = e > worst ? e : worst;
    }
    return worst;
}

static void sgd_case(double momentum, double dampening, double wd, int nesterov)
{
    const double lr = 0.05;
    setup();
    for (int t = 0; t < STEPS; t++) {
        CHECK(gm_sgd_step(param, grad[t], momentum ? state_a : NULL, N, lr,
                          momentum, dampening, wd, nesterov, t == 0) == GM_OK);
        for (int i = 0; i < N; i++) {
            double g = grad[t][i] + wd * ref_p[i];
            if (momentum != 0.0) {
                ref_a[i] = t == 0 ? g : momentum * ref_a[i] + (1 - dampening) * g;
                g = nesterov ? g + momentum * ref_a[i] : ref_a[i];
            }
            ref_p[i] -= lr * g;
        }
    }
    CHECK_CLOSE(max_error(), 0.0, 1e-6, 0);
}

static void test_sgd_matches_rule(void)
{
    sgd_case(0.0, 0.0, 0.0, 0);
    sgd_case(0.0, 0.0, 0.01, 0);
    sgd_case(0.9, 0.0, 0.0, 0);
    sgd_case(0.9, 0.3, 0.01, 0);
    sgd_case(0.9, 0.0, 0.01, 1);
}

static void adam_case(double wd, int decoupled, double beta1)
{
    const double lr = 0.01, beta2 = 0.99, eps = 1e-8;
    setup();
    for (int t = 1; t <= STEPS; t++) {
        CHECK(gm_adam_step(param, grad[t - 1], state_a, state_b, N, t, lr, beta1,
                           beta2, eps, wd, decoupled) == GM_OK);
        for (int i = 0; i < N; i++) {
            double g = grad[t - 1][i];
            if (decoupled)
                ref_p[i] *= 1 - lr * wd;
            else
                g += wd * ref_p[i];
            ref_a[i] = beta1 * ref_a[i] + (1 - beta1) * g;
            ref_b[i] = beta2 * ref_b[i] + (1 - beta2) * g * g;
            double denom = sqrt(ref_b[i]) / sqrt(1 - pow(beta2, t)) + eps;
            ref_p[i] -= lr / (1 - pow(beta1, t)) * ref_a[i] / denom;
        }
    }
    CHECK_CLOSE(max_error(), 0.0, 1e-6, 0);
}

static void test_adam_matches_rule(void)
{
    adam_case(0.0, 0, 0.9);
    adam_case(0.1, 0, 0.9);
    adam_case(0.1, 1, 0.9);
    adam_case(0.0, 0, 0.0);   /* beta1 = 0: RMSprop-like */
}

static void test_arguments(void)
{
    float p[4] = {0}, g[8] = {0}, a[4] = {0}, b[4] = {0};
    CHECK(gm_sgd_step(p, g, a, 4, -0.1, 0.9, 0, 0, 0, 0) == GM_ERR_ARG);
    CHECK(gm_sgd_step(p, g, a, 4, NAN, 0.9, 0, 0, 0, 0) == GM_ERR_ARG);
    CHECK(gm_sgd_step(p, g, a, 4, 0.1, -0.9, 0, 0, 0, 0) == GM_ERR_ARG);
    CHECK(gm_sgd_step(p, g, a, 4, 0.1, 0.9, 0, -1e-4, 0, 0) == GM_ERR_ARG);
    CHECK(gm_sgd_step(p, g, a, 4, 0.1, 0.9, 0.1, 0, 1, 0) == GM_ERR_ARG);   /* nesterov + dampening */
    CHECK(gm_sgd_step(p, g, NULL, 4, 0.1, 0.0, 0, 0, 1, 0) == GM_ERR_ARG);  /* nesterov, no momentum */
    CHECK(gm_sgd_step(p, g, NULL, 4, 0.1, 0.9, 0, 0, 0, 0) == GM_ERR_ARG);  /* momentum, no velocity */
    CHECK(gm_sgd_step(p, g, NULL, 4, 0.1, 0.0, 0, 0, 0, 0) == GM_OK);
    CHECK(gm_sgd_step(p, g + 2, a, 4, 0.1, 0.9, 0, 0, 0, 0) == GM_OK);
    CHECK(gm_sgd_step(p, p + 2, a, 2, 0.1, 0.9, 0, 0, 0, 0) == GM_OK);      /* adjacent, disjoint */
    CHECK(gm_sgd_step(p, p + 1, a, 2, 0.1, 0.9, 0, 0, 0, 0) == GM_ERR_ARG); /* overlap */
    CHECK(gm_sgd_step(p, g, g + 3, 4, 0.1, 0.9, 0, 0, 0, 0) == GM_ERR_ARG); /* velocity overlaps grad */
    CHECK(gm_sgd_step(NULL, NULL, NULL, 0, 0.1, 0.9, 0, 0, 0, 0) == GM_OK);

    CHECK(gm_adam_step(p, g, a, b, 4, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_OK);
    CHECK(gm_adam_step(p, g, a, b, 4, 0, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, a, b, 4, 1, -1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, a, b, 4, 1, 1e-3, 1.0, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, a, b, 4, 1, 1e-3, 0.9, -0.1, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, a, b, 4, 1, 1e-3, 0.9, 0.999, 0.0, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, a, b, 4, 1, 1e-3, 0.9, 0.999, 1e-8, -1, 1) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, a, a, 4, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, p, b, 4, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, g, g + 4, b, 4, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_OK);
    CHECK(gm_adam_step(p, g, g + 3, b, 4, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
    CHECK(gm_adam_step(p, NULL, a, b, 4, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0) == GM_ERR_ARG);
}

/* momentum 0 leaves a given velocity alone; weight decay 0 adds no
 * 0 * param term (so an Inf parameter does not turn into NaN). */
static void test_edge_semantics(void)
{
    float p[2] = {1.0f, INFINITY}, g[2] = {1.0f, 1.0f}, v[2] = {7.0f, 7.0f};
    CHECK(gm_sgd_step(p, g, v, 2, 0.5, 0.0, 0, 0, 0, 0) == GM_OK);
    CHECK(p[0] == 0.5f && isinf(p[1]) && v[0] == 7.0f && v[1] == 7.0f);
    float q[1] = {2.0f}, gq[1] = {0.0f}, m[1] = {0}, s[1] = {0};
    /* zero gradient: AdamW still decays, Adam does not move */
    CHECK(gm_adam_step(q, gq, m, s, 1, 1, 0.1, 0.9, 0.999, 1e-8, 0.5, 1) == GM_OK);
    CHECK_CLOSE(q[0], 2.0 * (1 - 0.1 * 0.5), 1e-7, 0);
    CHECK(gm_adam_step(q, gq, m, s, 1, 2, 0.1, 0.9, 0.999, 1e-8, 0.0, 0) == GM_OK);
    CHECK_CLOSE(q[0], 1.9, 1e-7, 0);
}

/* 1 vs 2 threads, AVX2 vs portable: identical bits. */
static void test_thread_and_isa_independence(void)
{
    static float p1[N], p2[N], m1[N], m2[N], v1[N], v2[N];
    for (int algo = 0; algo < 2; algo++) {
        check_fill(p1, N, 9);
        memcpy(p2, p1, sizeof p1);
        memset(m1, 0, sizeof m1), memset(m2, 0, sizeof m2);
        memset(v1, 0, sizeof v1), memset(v2, 0, sizeof v2);
        for (int t = 1; t <= STEPS; t++) {
            gm_set_num_threads(1);
            gm_cpu_set_allowed(~0u);
            if (algo == 0)
                gm_sgd_step(p1, grad[t - 1], m1, N, 0.1, 0.9, 0, 1e-3, 1, t == 1);
            else
                gm_adam_step(p1, grad[t - 1], m1, v1, N, t, 1e-3, 0.9, 0.999, 1e-8, 1e-2, 1);
            gm_set_num_threads(2);
            gm_cpu_set_allowed(0u);
            if (algo == 0)
                gm_sgd_step(p2, grad[t - 1], m2, N, 0.1, 0.9, 0, 1e-3, 1, t == 1);
            else
                gm_adam_step(p2, grad[t - 1], m2, v2, N, t, 1e-3, 0.9, 0.999, 1e-8, 1e-2, 1);
        }
        CHECK(memcmp(p1, p2, sizeof p1) == 0 && memcmp(m1, m2, sizeof m1) == 0 &&
              memcmp(v1, v2, sizeof v1) == 0);
    }
    gm_set_num_threads(0);
    gm_cpu_set_allowed(~0u);
}

int main(void)
{
    RUN(test_sgd_matches_rule);
    RUN(test_adam_matches_rule);
    RUN(test_arguments);
    RUN(test_edge_semantics);
    RUN(test_thread_and_isa_independence);
    return check_summary();
}
