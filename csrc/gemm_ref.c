/* gemm_ref.c - the reference SGEMM: plain loops, one accumulator per
 * output, k summed in order. */
#include "gm.h"

gm_status gm_sgemm_check_args(gm_transpose trans_a, gm_transpose trans_b,
                              ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                              const float *a, ptrdiff_t lda,
                              const float *b, ptrdiff_t ldb,
                              const float *c, ptrdiff_t ldc);

gm_status gm_sgemm_check_args(gm_transpose trans_a, gm_transpose trans_b,
                              ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                              const float *a, ptrdiff_t lda,
                              const float *b, ptrdiff_t ldb,
                              const float *c, ptrdiff_t ldc)
{
    if (m < 0 || n < 0 || k < 0)
        return GM_ERR_ARG;
    if ((trans_a != GM_NO_TRANS && trans_a != GM_TRANS) ||
        (trans_b != GM_NO_TRANS && trans_b != GM_TRANS))
        return GM_ERR_ARG;
    ptrdiff_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) ||
        ldc < (n > 1 ? n : 1))
        return GM_ERR_ARG;
    if ((m && n && !c) || (m && k && !a) || (k && n && !b))
        return GM_ERR_ARG;
    return GM_OK;
}

gm_status gm_sgemm_ref(gm_transpose trans_a, gm_transpose trans_b,
                       ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       float alpha, const float *a, ptrdiff_t lda,
                       const float *b, ptrdiff_t ldb,
                       float beta, float *c, ptrdiff_t ldc)
{
    gm_status s = gm_sgemm_check_args(trans_a, trans_b, m, n, k, a, lda, b,
                                       ldb, c, ldc);
    if (s != GM_OK)
        return s;
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (ptrdiff_t p = 0; p < k; p++) {
                float av = trans_a ? a[p * lda + i] : a[i * lda + p];
                float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
                acc += av * bv;
            }
            float *cij = &c[i * ldc + j];
            *cij = beta == 0.0f ? alpha * acc : alpha * acc + beta * *cij;
        }
    }
    return GM_OK;
}
