/* gemm.c - SGEMM entry point. For now: rows of C split across threads,
 * each output computed by the reference loop order (so bitwise identical
 * for any thread count). */
#include "gm.h"

gm_status gm_sgemm_check_args(gm_transpose trans_a, gm_transpose trans_b,
                              ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                              const float *a, ptrdiff_t lda,
                              const float *b, ptrdiff_t ldb,
                              const float *c, ptrdiff_t ldc);

gm_status gm_sgemm(gm_transpose trans_a, gm_transpose trans_b,
                   ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                   float alpha, const float *a, ptrdiff_t lda,
                   const float *b, ptrdiff_t ldb,
                   float beta, float *c, ptrdiff_t ldc)
{
    gm_status s = gm_sgemm_check_args(trans_a, trans_b, m, n, k, a, lda, b,
                                       ldb, c, ldc);
    if (s != GM_OK)
        return s;
    #pragma omp parallel for schedule(static) num_threads(gm_get_num_threads())
    for (ptrdiff_t i = 0; i < m; i++)
        gm_sgemm_ref(trans_a, trans_b, 1, n, k, alpha,
                     trans_a ? a + i : a + i * lda, lda, b, ldb, beta,
                     c + i * ldc, ldc);
    return GM_OK;
}
