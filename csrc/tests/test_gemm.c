/* test_gemm.c - gm_sgemm against gm_sgemm_ref. */
#include "../gm.h"
#include "../gemm_internal.h"
#include "../gemm_packed.h"
#include "check.h"

#include <string.h>

static void compare(gm_transpose ta, gm_transpose tb, int m, int n, int k,
                    float alpha, float beta)
{
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    size_t a_len = (size_t)(ta ? k : m) * lda, b_len = (size_t)(tb ? n : k) * ldb;
    float *a = malloc(a_len * sizeof *a), *b = malloc(b_len * sizeof *b);
    float *c = malloc((size_t)m * ldc * sizeof *c), *r = malloc((size_t)m * ldc * sizeof *r);
    check_fill(a, a_len, 1);
    check_fill(b, b_len, 2);
    check_fill(c, (size_t)m * ldc, 3);
    check_fill(r, (size_t)m * ldc, 3);
    CHECK(gm_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == GM_OK);
    CHECK(gm_sgemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc) == GM_OK);
    double worst = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double d = fabs(c[i * ldc + j] - r[i * ldc + j]);
            worst = d > worst ? d : worst;
        }
    CHECK_CLOSE(worst, 0.0, 1e-4 * (k + 1), 0);
    free(a), free(b), free(c), free(r);
}

static void test_against_reference(void)
{
    static const int sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {17, 33, 65}, {64, 64, 64}, {130, 70, 257}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                compare((gm_transpose)ta, (gm_transpose)tb, sizes[s][0],
                        sizes[s][1], sizes[s][2], 0.5f, ta ? 0.0f : 2.0f);
}

/* The AVX2 packers lay out exactly the portable ones' panels: full and
 * edge panels, both transpositions, depths with and without a tail. */
static void test_packers_agree(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (!(gm_cpu_features() & GM_CPU_AVX2_FMA))
        return;
    enum { ROWS = 48, LD = 301 };
    float *src = malloc(ROWS * LD * sizeof *src);
    check_fill(src, ROWS * LD, 4);
    static const int depths[] = {1, 7, 8, 13, 40};
    int same = 1;
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        ptrdiff_t kc = depths[d];
        for (int trans = 0; trans < 2; trans++) {
            /* B: kc x nc from (kc rows of src) or, transposed, (nc rows of src) */
            ptrdiff_t nc = trans ? ROWS - 3 : 37;   /* two full panels and an edge */
            _Alignas(64) float want[3 * GEMM_NR * 40], got[3 * GEMM_NR * 40];   /* as the packing buffers */
            for (ptrdiff_t q = 0; q < 3; q++) {
                memset(want, 0, sizeof want), memset(got, 0, sizeof got);
                gm_gemm_pack_b_panel(want, src + 1, LD, trans, 0, 1, kc, nc, q);
                gm_gemm_pack_b_panel_avx2(got, src + 1, LD, trans, 0, 1, kc, nc, q);
                same &= memcmp(want, got, sizeof want) == 0;
            }
            /* A: mc x kc, two full panels and an edge of 5 rows */
            ptrdiff_t mc = 17;
            _Alignas(64) float want_a[3 * GEMM_MR * 40], got_a[3 * GEMM_MR * 40];
            for (ptrdiff_t q = 0; q < 3; q++) {
                memset(want_a, 0, sizeof want_a), memset(got_a, 0, sizeof got_a);
                gm_gemm_pack_a_panel(want_a, src, LD, trans, 2, 3, mc, kc, q);
                gm_gemm_pack_a_panel_avx2(got_a, src, LD, trans, 2, 3, mc, kc, q);
                same &= memcmp(want_a, got_a, sizeof want_a) == 0;
            }
        }
    }
    CHECK(same);
    free(src);
#endif
}

/* One thread with an operand packed beforehand gives gm_sgemm's bits:
 * depths past KC, rows past MC, columns past NC, both transpositions. */
static void test_serial_with_packed_operands(void)
{
    static const int sizes[][3] = {{7, 5, 3}, {130, 70, 1100}, {50, 3100, 20}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int t = 0; t < 4; t++) {
            gm_transpose ta = (gm_transpose)(t & 1), tb = (gm_transpose)(t >> 1);
            int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
            size_t a_len = (size_t)(ta ? k : m) * lda, b_len = (size_t)(tb ? n : k) * ldb;
            size_t c_len = (size_t)m * ldc;
            float *a = malloc(a_len * sizeof *a), *b = malloc(b_len * sizeof *b);
            float *want = malloc(c_len * sizeof *want), *got = malloc(c_len * sizeof *got);
            float *pa = aligned_alloc(64, (gm_sgemm_packed_a_size(m, k) * sizeof *pa + 63) / 64 * 64);
            float *pb = aligned_alloc(64, (gm_sgemm_packed_b_size(k, n) * sizeof *pb + 63) / 64 * 64);
            check_fill(a, a_len, 5);
            check_fill(b, b_len, 6);
            check_fill(want, c_len, 7);
            CHECK(gm_sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 2.0f, want, ldc) == GM_OK);
            gm_sgemm_pack_a(pa, ta, m, k, a, lda);
            gm_sgemm_pack_b(pb, tb, k, n, b, ldb);
            const float *packed_a[] = {NULL, pa, NULL, pa}, *packed_b[] = {NULL, NULL, pb, pb};
            for (int v = 0; v < 4; v++) {
                check_fill(got, c_len, 7);
                CHECK(gm_sgemm_serial(ta, tb, m, n, k, 0.5f, a, lda, packed_a[v], b, ldb, packed_b[v],
                                      2.0f, got, ldc) == GM_OK);
                CHECK(memcmp(want, got, c_len * sizeof *got) == 0);
            }
            free(a), free(b), free(want), free(got), free(pa), free(pb);
        }
}

/* gm_sgemm_bias: the bits of gm_sgemm followed by C += bias, with one
 * and several k blocks, both thread splits and k == 0. */
static void test_bias_fused(void)
{
    static const int sizes[][3] = {{7, 5, 3}, {128, 300, 600}, {300, 70, 257}, {9, 40, 0}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
        float *a = malloc(((size_t)m * k + 1) * sizeof *a), *b = malloc(((size_t)k * n + 1) * sizeof *b);
        float *c = malloc((size_t)m * n * sizeof *c), *r = malloc((size_t)m * n * sizeof *r);
        float *bias = malloc((size_t)n * sizeof *bias);
        check_fill(a, (size_t)m * k + 1, 1);
        check_fill(b, (size_t)k * n + 1, 2);
        check_fill(c, (size_t)m * n, 3);
        check_fill(bias, (size_t)n, 4);
        memcpy(r, c, (size_t)m * n * sizeof *r);
        CHECK(gm_sgemm_bias(GM_NO_TRANS, GM_NO_TRANS, m, n, k, 0.5f, a, k > 0 ? k : 1, b, n, 1.0f, c, n, bias) == GM_OK);
        CHECK(gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, m, n, k, 0.5f, a, k > 0 ? k : 1, b, n, 1.0f, r, n) == GM_OK);
        int same = 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                same &= c[i * n + j] == r[i * n + j] + bias[j];
        CHECK(same);
        free(a), free(b), free(c), free(r), free(bias);
    }
}

static void test_bad_arguments(void)
{
    float x[4] = {0};
    CHECK(gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) == GM_ERR_ARG);
    CHECK(gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, 2, 2, 2, 1, x, 1, x, 2, 0, x, 2) == GM_ERR_ARG);
    CHECK(gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, 2, 2, 2, 1, NULL, 2, x, 2, 0, x, 2) == GM_ERR_ARG);
    CHECK(gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, 0, 0, 0, 1, NULL, 1, NULL, 1, 0, NULL, 1) == GM_OK);
}

int main(void)
{
    RUN(test_against_reference);
    RUN(test_packers_agree);
    RUN(test_serial_with_packed_operands);
    RUN(test_bias_fused);
    RUN(test_bad_arguments);
    return check_summary();
}
