/* test_rng.c - Philox4x32-10 known answers, block spans, and the fills:
 * addressing, offsets, thread and ISA independence, distributions. */
#include "../gm.h"
#include "check.h"

#include <string.h>

/* Known-answer vectors from the Random123 distribution (kat_vectors). */
static void test_known_answers(void)
{
    uint32_t out[4];
    const uint32_t zero_key[2] = {0, 0}, zero_ctr[4] = {0, 0, 0, 0};
    gm_philox4x32_10(zero_key, zero_ctr, out);
    CHECK(out[0] == 0x6627e8d5u && out[1] == 0xe169c58du &&
          out[2] == 0xbc57ac4cu && out[3] == 0x9b00dbd8u);
    const uint32_t ones_key[2] = {0xffffffffu, 0xffffffffu};
    const uint32_t ones_ctr[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    gm_philox4x32_10(ones_key, ones_ctr, out);
    CHECK(out[0] == 0x408f276du && out[1] == 0x41c83b0eu &&
          out[2] == 0xa20bc7c6u && out[3] == 0x6d5451fdu);
    const uint32_t pi_key[2] = {0xa4093822u, 0x299f31d0u};
    const uint32_t pi_ctr[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
    gm_philox4x32_10(pi_key, pi_ctr, out);
    CHECK(out[0] == 0xd16cfe09u && out[1] == 0x94fdccebu &&
          out[2] == 0x5001e420u && out[3] == 0x24126ea1u);
}

static void test_addressing(void)
{
    /* Same address, same value; streams and seeds differ. */
    CHECK(gm_rng_u32_at(7, 1, 12345) == gm_rng_u32_at(7, 1, 12345));
    CHECK(gm_rng_u32_at(7, 1, 12345) != gm_rng_u32_at(7, 2, 12345));
    CHECK(gm_rng_u32_at(7, 1, 12345) != gm_rng_u32_at(8, 1, 12345));
    double mean = 0;
    for (int i = 0; i < 100000; i++) {
        float u = gm_rng_uniform_at(3, 0, (uint64_t)i);
        CHECK(u >= 0.0f && u < 1.0f);
        mean += u;
    }
    CHECK_CLOSE(mean / 100000, 0.5, 0.005, 0);
}

/* gm_rng_u32_span equals gm_rng_u32_at for every start and length (both
 * ISA paths), including starts near the 2^64 wrap. */
static int span_matches(uint64_t seed, uint64_t stream, uint64_t offset, size_t n)
{
    uint32_t buf[300];
    gm_rng_u32_span(buf, n, seed, stream, offset);
    for (size_t i = 0; i < n; i++)
        if (buf[i] != gm_rng_u32_at(seed, stream, offset + i))
            return 0;
    return 1;
}

static void test_span_is_pointwise(void)
{
    const unsigned masks[2] = {~0u, 0u};
    for (int m = 0; m < 2; m++) {
        gm_cpu_set_allowed(masks[m]);
        int ok = 1;
        for (uint64_t off = 0; off < 9; off++)
            for (size_t n = 0; n <= 300; n += (n < 70 ? 1 : 37))
                ok &= span_matches(0x123456789abcdefull, 0xfedcba9876543210ull, off, n);
        ok &= span_matches(1, 2, UINT64_MAX - 100, 300);   /* wraps past 2^64 */
        ok &= span_matches(1, 2, (1ull << 34) - 65, 300);  /* block counter carries */
        CHECK(ok);
    }
    gm_cpu_set_allowed(~0u);
}

/* fill(n) at o == fill(k) at o ++ fill(n-k) at o+k, for every fill. */
static void test_offsets_continue(void)
{
    enum { N = 70001 };
    static float whole[N], parts[N];
    const size_t cuts[] = {0, 1, 3, 4097, 50000, N};
    for (int kind = 0; kind < 3; kind++) {
        int ok = 1;
        for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
            size_t k = cuts[c];
            gm_status s = GM_OK;
            if (kind == 0) {
                s |= gm_rng_uniform(whole, N, 9, 4, 11, -1.0f, 2.0f);
                s |= gm_rng_uniform(parts, k, 9, 4, 11, -1.0f, 2.0f);
                s |= gm_rng_uniform(parts + k, N - k, 9, 4, 11 + k, -1.0f, 2.0f);
            } else if (kind == 1) {
                s |= gm_rng_normal(whole, N, 9, 4, 11, 0.5f, 3.0f);
                s |= gm_rng_normal(parts, k, 9, 4, 11, 0.5f, 3.0f);
                s |= gm_rng_normal(parts + k, N - k, 9, 4, 11 + k, 0.5f, 3.0f);
            } else {
                s |= gm_rng_bernoulli(whole, N, NULL, 0.3f, 9, 4, 11);
                s |= gm_rng_bernoulli(parts, k, NULL, 0.3f, 9, 4, 11);
                s |= gm_rng_bernoulli(parts + k, N - k, NULL, 0.3f, 9, 4, 11 + k);
            }
            ok &= s == GM_OK && memcmp(whole, parts, sizeof whole) == 0;
        }
        CHECK(ok);
    }
}

/* 1 and 2 threads, AVX2 and portable: the same bits. */
static void test_thread_and_isa_independence(void)
{
    enum { N = 100003 };
    static float a[N], b[N];
    static int64_t pa[N], pb[N];
    for (int kind = 0; kind < 3; kind++) {
        gm_set_num_threads(1);
        gm_cpu_set_allowed(~0u);
        if (kind == 0) gm_rng_uniform(a, N, 3, 1, 5, 0.0f, 1.0f);
        if (kind == 1) gm_rng_normal(a, N, 3, 1, 5, 0.0f, 1.0f);
        if (kind == 2) gm_rng_permutation(pa, N, 3, 1, 5);
        gm_set_num_threads(2);
        gm_cpu_set_allowed(0u);
        if (kind == 0) gm_rng_uniform(b, N, 3, 1, 5, 0.0f, 1.0f);
        if (kind == 1) gm_rng_normal(b, N, 3, 1, 5, 0.0f, 1.0f);
        if (kind == 2) gm_rng_permutation(pb, N, 3, 1, 5);
        CHECK(kind == 2 ? memcmp(pa, pb, sizeof pa) == 0 : memcmp(a, b, sizeof a) == 0);
    }
    gm_set_num_threads(0);
    gm_cpu_set_allowed(~0u);
}

/* Uniform element i is low + (high - low) * gm_rng_uniform_at(i), below high. */
static void test_uniform_values(void)
{
    float out[1000];
    CHECK(gm_rng_uniform(out, 1000, 5, 6, 7, -2.0f, 3.0f) == GM_OK);
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        double want = -2.0 + 5.0 * (double)gm_rng_uniform_at(5, 6, 7 + (uint64_t)i);
        ok &= out[i] == (float)want && out[i] >= -2.0f && out[i] < 3.0f;
    }
    CHECK(ok);
    /* a range so narrow that rounding reaches high stays below it */
    float narrow[1000];
    CHECK(gm_rng_uniform(narrow, 1000, 1, 1, 0, 1.0f, nextafterf(1.0f, 2.0f)) == GM_OK);
    ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= narrow[i] == 1.0f;
    CHECK(ok);
    CHECK(gm_rng_uniform(out, 10, 1, 1, 0, 4.0f, 4.0f) == GM_OK && out[9] == 4.0f);
    CHECK(gm_rng_uniform(out, 10, 1, 1, 0, 1.0f, 0.0f) == GM_ERR_ARG);
    CHECK(gm_rng_uniform(out, 10, 1, 1, 0, 0.0f, INFINITY) == GM_ERR_ARG);
    CHECK(gm_rng_uniform(out, 10, 1, 1, 0, NAN, 1.0f) == GM_ERR_ARG);
    CHECK(gm_rng_uniform(out, 10, 1, 1, UINT64_MAX - 8, 0.0f, 1.0f) == GM_ERR_ARG);
    CHECK(gm_rng_uniform(out, 10, 1, 1, UINT64_MAX - 9, 0.0f, 1.0f) == GM_OK);
    CHECK(gm_rng_uniform(NULL, 0, 1, 1, UINT64_MAX, 0.0f, 1.0f) == GM_OK);
    CHECK(gm_rng_uniform(NULL, 1, 1, 1, 0, 0.0f, 1.0f) == GM_ERR_ARG);
}

/* Normal: odd symmetry, known quantiles, moments, std = 0, bad arguments. */
static void test_normal_values(void)
{
    enum { N = 200000 };
    static float z[N];
    CHECK(gm_rng_normal(z, N, 11, 3, 0, 0.0f, 1.0f) == GM_OK);
    double s1 = 0, s2 = 0, below = 0;
    float zmax = 0;
    for (int i = 0; i < N; i++) {
        s1 += z[i], s2 += (double)z[i] * z[i];
        below += z[i] < -1.959963985f;
        zmax = fabsf(z[i]) > zmax ? fabsf(z[i]) : zmax;
    }
    /* standard errors: mean 1/sqrt(N) = 0.0022, E z^2 sqrt(2/N) = 0.0032,
     * P(z < -1.96) = 0.025 with sqrt(0.025 * 0.975 / N) = 0.00035 */
    CHECK_CLOSE(s1 / N, 0.0, 0.012, 0);
    CHECK_CLOSE(s2 / N, 1.0, 0.016, 0);
    CHECK_CLOSE(below / N, 0.025, 0.0018, 0);
    CHECK(zmax <= 6.34f);
    /* mean + std * z is formed in double from the same z: within rounding */
    static float y[N];
    CHECK(gm_rng_normal(y, N, 11, 3, 0, 2.0f, 0.5f) == GM_OK);
    int ok = 1;
    for (int i = 0; i < N; i++)
        ok &= y[i] == (float)(2.0 + 0.5 * (double)z[i]) ||
              fabsf(y[i] - (2.0f + 0.5f * z[i])) <= 4e-7f * (2.0f + fabsf(z[i]));
    CHECK(ok);
    CHECK(gm_rng_normal(y, 100, 1, 1, 0, 3.0f, 0.0f) == GM_OK && y[0] == 3.0f && y[99] == 3.0f);
    CHECK(gm_rng_normal(y, 10, 1, 1, 0, 0.0f, -1.0f) == GM_ERR_ARG);
    CHECK(gm_rng_normal(y, 10, 1, 1, 0, 0.0f, NAN) == GM_ERR_ARG);
    CHECK(gm_rng_normal(y, 10, 1, 1, 0, INFINITY, 1.0f) == GM_ERR_ARG);
}

static void test_bernoulli_values(void)
{
    enum { N = 100000 };
    static float out[N], p[N], scalar[N];
    for (int i = 0; i < N; i++)
        p[i] = (float)(i % 5) * 0.25f;   /* 0, .25, .5, .75, 1 */
    CHECK(gm_rng_bernoulli(out, N, p, 0.0f, 2, 6, 1) == GM_OK);
    double ones[5] = {0};
    int binary = 1;
    for (int i = 0; i < N; i++) {
        ones[i % 5] += out[i];
        binary &= out[i] == 0.0f || out[i] == 1.0f;
    }
    CHECK(binary);
    CHECK(ones[0] == 0 && ones[4] == N / 5);
    /* 20000 draws each: standard error <= 0.0035 */
    CHECK_CLOSE(ones[1] / (N / 5), 0.25, 0.015, 0);
    CHECK_CLOSE(ones[2] / (N / 5), 0.5, 0.015, 0);
    CHECK_CLOSE(ones[3] / (N / 5), 0.75, 0.015, 0);
    /* an array of p equals the scalar p */
    for (int i = 0; i < N; i++)
        p[i] = 0.3f;
    CHECK(gm_rng_bernoulli(out, N, p, 0.0f, 2, 6, 1) == GM_OK);
    CHECK(gm_rng_bernoulli(scalar, N, NULL, 0.3f, 2, 6, 1) == GM_OK);
    CHECK(memcmp(out, scalar, sizeof out) == 0);
    p[N - 1] = NAN;
    CHECK(gm_rng_bernoulli(out, N, p, 0.0f, 2, 6, 1) == GM_ERR_ARG);
    p[N - 1] = 1.0000001f;
    CHECK(gm_rng_bernoulli(out, N, p, 0.0f, 2, 6, 1) == GM_ERR_ARG);
    p[N - 1] = -0.0f;
    CHECK(gm_rng_bernoulli(out, N, p, 0.0f, 2, 6, 1) == GM_OK && out[N - 1] == 0.0f);
    CHECK(gm_rng_bernoulli(out, 3, NULL, -0.1f, 2, 6, 1) == GM_ERR_ARG);
    CHECK(gm_rng_bernoulli(out, 3, NULL, NAN, 2, 6, 1) == GM_ERR_ARG);
    CHECK(gm_rng_bernoulli(NULL, 0, NULL, 2.0f, 2, 6, 1) == GM_ERR_ARG);
}

/* The documented rule, one gm_rng_u32_at at a time. */
static void permutation_ref(int64_t *out, size_t n, uint64_t seed,
                            uint64_t stream, uint64_t offset)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (int64_t)i;
    for (size_t k = 0; k + 1 < n; k++) {
        size_t i = n - k;
        uint64_t pos = 2 * (offset + k);
        uint64_t r = ((uint64_t)gm_rng_u32_at(seed, stream, pos) << 32) |
                     gm_rng_u32_at(seed, stream, pos + 1);
        size_t j = (size_t)(r % i);
        int64_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}

static void test_permutation(void)
{
    enum { N = 5000 };
    static int64_t perm[N], other[N];
    static unsigned char seen[N];
    CHECK(gm_rng_permutation(perm, N, 5, 2, 0) == GM_OK);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        ok &= perm[i] >= 0 && perm[i] < N && !seen[perm[i]];
        if (perm[i] >= 0 && perm[i] < N)
            seen[perm[i]] = 1;
    }
    CHECK(ok);
    permutation_ref(other, N, 5, 2, 0);
    CHECK(memcmp(perm, other, sizeof perm) == 0);
    CHECK(gm_rng_permutation(perm, 777, 5, 2, 12345) == GM_OK);
    permutation_ref(other, 777, 5, 2, 12345);
    CHECK(memcmp(perm, other, 777 * sizeof *perm) == 0);
    CHECK(gm_rng_permutation(perm, N, 5, 2, 0) == GM_OK);
    CHECK(gm_rng_permutation(other, N, 6, 2, 0) == GM_OK);
    CHECK(memcmp(perm, other, sizeof perm) != 0);
    /* where element 0 lands over 3000 permutations of 3: each 1/3 */
    int lands[3] = {0};
    for (int t = 0; t < 3000; t++) {
        int64_t p3[3];
        gm_rng_permutation(p3, 3, 8, 2, 3 * (uint64_t)t);
        for (int k = 0; k < 3; k++)
            lands[k] += p3[k] == 0;
    }
    for (int k = 0; k < 3; k++)   /* standard error 26 */
        CHECK(lands[k] > 1000 - 130 && lands[k] < 1000 + 130);
    int64_t one = -1;
    CHECK(gm_rng_permutation(&one, 1, 1, 1, 0) == GM_OK && one == 0);
    CHECK(gm_rng_permutation(NULL, 0, 1, 1, 0) == GM_OK);
    CHECK(gm_rng_permutation(perm, 10, 1, 1, UINT64_MAX - 5) == GM_ERR_ARG);
    CHECK(gm_rng_permutation(perm, 10, 1, 1, (UINT64_C(1) << 63) - 9) == GM_ERR_ARG);
    CHECK(gm_rng_permutation(perm, 10, 1, 1, (UINT64_C(1) << 63) - 10) == GM_OK);
}

static void test_all_finite(void)
{
    enum { N = 300001 };
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)i - 1e5f;
    x[17] = 3.4e38f;
    x[18] = -0.0f;
    x[19] = 1e-45f;   /* subnormal */
    CHECK(gm_all_finite(x, N));
    CHECK(gm_all_finite(NULL, 0));
    const float bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (int b = 0; b < 4; b++) {
        for (int t = 1; t <= 2; t++) {
            gm_set_num_threads(t);
            x[N - 1] = bad[b];
            CHECK(!gm_all_finite(x, N));
            x[N - 1] = 0.0f;
            x[0] = bad[b];
            CHECK(!gm_all_finite(x, N));
            CHECK(!gm_all_finite(x, 1));
            x[0] = 0.0f;
        }
    }
    gm_set_num_threads(0);
}

int main(void)
{
    RUN(test_known_answers);
    RUN(test_addressing);
    RUN(test_span_is_pointwise);
    RUN(test_offsets_continue);
    RUN(test_thread_and_isa_independence);
    RUN(test_uniform_values);
    RUN(test_normal_values);
    RUN(test_bernoulli_values);
    RUN(test_permutation);
    RUN(test_all_finite);
    return check_summary();
}
