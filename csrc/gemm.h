/* gemm.h - single-precision matrix multiply, row-major. */
#ifndef GM_GEMM_H
#define GM_GEMM_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GM_NO_TRANS = 0, GM_TRANS = 1 } gm_transpose;

/* C (m,n) = alpha * op(A) @ op(B) + beta * C, all row-major.
 * op(A) is (m,k): A is (m,k) with lda >= k, or (k,m) with lda >= m if
 * transposed; likewise op(B) is (k,n). ldc >= n. beta == 0 ignores the
 * old contents of C (NaN included). Bitwise identical for any thread count. */
gm_status gm_sgemm(gm_transpose trans_a, gm_transpose trans_b,
                   ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                   float alpha, const float *a, ptrdiff_t lda,
                   const float *b, ptrdiff_t ldb,
                   float beta, float *c, ptrdiff_t ldc);

/* gm_sgemm, then bias (n) added to every row of C (NULL: none), fused into
 * the write-back of the product: the same bits as a separate pass of
 * C[i][j] += bias[j] after gm_sgemm. */
gm_status gm_sgemm_bias(gm_transpose trans_a, gm_transpose trans_b,
                        ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                        float alpha, const float *a, ptrdiff_t lda,
                        const float *b, ptrdiff_t ldb,
                        float beta, float *c, ptrdiff_t ldc, const float *bias);

/* The naive triple loop, kept as the reference the fast one is tested
 * against. Same contract as gm_sgemm. */
gm_status gm_sgemm_ref(gm_transpose trans_a, gm_transpose trans_b,
                       ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       float alpha, const float *a, ptrdiff_t lda,
                       const float *b, ptrdiff_t ldb,
                       float beta, float *c, ptrdiff_t ldc);

/* Best FP32 GFLOP/s of an AVX2 FMA loop on `threads` threads over about
 * `seconds` (0 without AVX2/FMA): the peak SGEMM figures are read against. */
double gm_fma_peak_gflops(double seconds, int threads);

#ifdef __cplusplus
}
#endif

#endif /* GM_GEMM_H */
