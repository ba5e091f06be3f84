/* gemm_kernel_ref.c - the portable micro-kernel: plain C over the same
 * packed panels as the vector kernels. */
#include "gemm_internal.h"

void gm_gemm_kernel_ref(ptrdiff_t kc, const float *a, const float *b, float *c,
                        ptrdiff_t ldc, float alpha, float beta, const float *bias, int mr, int nr)
{
    float acc[GEMM_MR][GEMM_NR] = {{0}};
    for (ptrdiff_t p = 0; p < kc; p++) {
        const float *ap = a + p * GEMM_MR, *bp = b + p * GEMM_NR;
        for (int i = 0; i < GEMM_MR; i++)
            for (int j = 0; j < GEMM_NR; j++)
                acc[i][j] += ap[i] * bp[j];
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float *cij = c + i * ldc + j;
            *cij = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *cij;
            if (bias)
                *cij += bias[j];
        }
}
