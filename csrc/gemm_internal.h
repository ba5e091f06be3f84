/* gemm_internal.h - the pieces of the packed SGEMM (internal). */
#ifndef GM_GEMM_INTERNAL_H
#define GM_GEMM_INTERNAL_H

#include "gm.h"
#include "gemm_config.h"

/* C (mr x nr, mr <= MR, nr <= NR, leading dimension ldc) =
 *     alpha * Apanel (MR x kc, packed) @ Bpanel (kc x NR, packed) + beta * C
 *     (+ bias[j] on every row, added last, when bias is not NULL)
 * beta == 0 overwrites C without reading it. */
typedef void (*gemm_micro_kernel)(ptrdiff_t kc, const float *a, const float *b,
                                  float *c, ptrdiff_t ldc, float alpha,
                                  float beta, const float *bias, int mr, int nr);

void gm_gemm_kernel_ref(ptrdiff_t kc, const float *a, const float *b, float *c,
                        ptrdiff_t ldc, float alpha, float beta, const float *bias, int mr, int nr);
void gm_gemm_kernel_avx2(ptrdiff_t kc, const float *a, const float *b, float *c,
                         ptrdiff_t ldc, float alpha, float beta, const float *bias, int mr, int nr);

/* Pack MR-row panel `panel` of op(A)[i0:i0+mc, p0:p0+kc] as kc columns of
 * MR values (rows past mc are zero). */
typedef void gemm_pack_a_fn(float *dst, const float *a, ptrdiff_t lda, int trans,
                            ptrdiff_t i0, ptrdiff_t p0, ptrdiff_t mc,
                            ptrdiff_t kc, ptrdiff_t panel);

/* Pack NR-column panel `panel` of op(B)[p0:p0+kc, j0:j0+nc] as kc rows of
 * NR values (columns past nc are zero). */
typedef void gemm_pack_b_fn(float *dst, const float *b, ptrdiff_t ldb, int trans,
                            ptrdiff_t p0, ptrdiff_t j0, ptrdiff_t kc,
                            ptrdiff_t nc, ptrdiff_t panel);

/* Portable packers (gemm_pack.c), and the same panels packed with AVX2
 * (gemm_pack_avx2.c; only when the CPU has it). */
gemm_pack_a_fn gm_gemm_pack_a_panel, gm_gemm_pack_a_panel_avx2;
gemm_pack_b_fn gm_gemm_pack_b_panel, gm_gemm_pack_b_panel_avx2;

/* The calling thread's packing buffers (grown on demand, reused across
 * calls so large GEMMs do not fault in fresh pages every time). NULL if
 * an allocation failed. */
float *gm_gemm_buffer_a(size_t floats);
float *gm_gemm_buffer_b(size_t floats);

gm_status gm_sgemm_check_args(gm_transpose trans_a, gm_transpose trans_b,
                              ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                              const float *a, ptrdiff_t lda,
                              const float *b, ptrdiff_t ldb,
                              const float *c, ptrdiff_t ldc);

#endif /* GM_GEMM_INTERNAL_H */
