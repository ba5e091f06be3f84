/* gemm_kernel_avx2.c - the AVX2/FMA micro-kernel: a 6 x 16 tile of C in
 * twelve ymm registers, one broadcast of A and two loads of B per k.
 * Compiled for AVX2 by target attribute; only called when the CPU has it. */
#include "gemm_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
void gm_gemm_kernel_avx2(ptrdiff_t kc, const float *a, const float *b, float *c,
                         ptrdiff_t ldc, float alpha, float beta, const float *bias, int mr, int nr)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    /* C's rows are ldc apart, a stride the hardware prefetcher does not
     * follow: fetch the tile now, so that it has arrived by the write-back
     * (which dominates when kc is short, as in weight gradients) */
    for (int i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 av;
        av = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(av, b0, c40), c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(av, b0, c50), c51 = _mm256_fmadd_ps(av, b1, c51);
        a += GEMM_MR;
        b += GEMM_NR;
    }
    __m256 acc[GEMM_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (mr == GEMM_MR && nr == GEMM_NR) {
        for (int i = 0; i < GEMM_MR; i++) {
            float *ci = c + i * ldc;
            for (int h = 0; h < 2; h++) {
                __m256 r = _mm256_mul_ps(va, acc[i][h]);
                if (beta != 0.0f)
                    r = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8 * h), r);
                if (bias)
                    r = _mm256_add_ps(r, _mm256_loadu_ps(bias + 8 * h));
                _mm256_storeu_ps(ci + 8 * h, r);
            }
        }
        return;
    }
    /* Edge tile: the same sums, written through a scratch tile. */
    float tile[GEMM_MR][GEMM_NR] __attribute__((aligned(32)));
    for (int i = 0; i < GEMM_MR; i++) {
        _mm256_store_ps(tile[i], _mm256_mul_ps(va, acc[i][0]));
        _mm256_store_ps(tile[i] + 8, _mm256_mul_ps(va, acc[i][1]));
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float *cij = c + i * ldc + j;
            *cij = beta == 0.0f ? tile[i][j] : __builtin_fmaf(beta, *cij, tile[i][j]);
            if (bias)
                *cij += bias[j];
        }
}
#else
void gm_gemm_kernel_avx2(ptrdiff_t kc, const float *a, const float *b, float *c,
                         ptrdiff_t ldc, float alpha, float beta, const float *bias, int mr, int nr)
{
    gm_gemm_kernel_ref(kc, a, b, c, ldc, alpha, beta, bias, mr, nr);
}
#endif
