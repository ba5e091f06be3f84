/* test_gemm.c - gm_sgemm against gm_sgemm_ref. */
#include "../gm.h"
#include "check.h"

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
    RUN(test_bad_arguments);
    return check_summary();
}
