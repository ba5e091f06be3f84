/* gemm_packed.h - SGEMM on the calling thread alone, with an operand that
 * was packed once and is reused: a convolution's weights, shared by every
 * chunk of images that the threads work on side by side. Internal.
 *
 *   float *pw = ...;  gm_sgemm_pack_a(pw, GM_NO_TRANS, oc, ckk, w, ckk);
 *   #pragma omp parallel for
 *   for each chunk: gm_sgemm_serial(..., w, ckk, pw, rows, ckk, NULL, ...);
 *
 * Packed operands must start on a 32-byte boundary. */
#ifndef GM_GEMM_PACKED_H
#define GM_GEMM_PACKED_H

#include "gm.h"

/* Floats that all of op(A) (m, k), or all of op(B) (k, n), takes packed. */
size_t gm_sgemm_packed_a_size(ptrdiff_t m, ptrdiff_t k);
size_t gm_sgemm_packed_b_size(ptrdiff_t k, ptrdiff_t n);

/* Pack all of op(A) (m, k) or op(B) (k, n); threaded over panels. */
void gm_sgemm_pack_a(float *packed, gm_transpose trans_a, ptrdiff_t m,
                     ptrdiff_t k, const float *a, ptrdiff_t lda);
void gm_sgemm_pack_b(float *packed, gm_transpose trans_b, ptrdiff_t k,
                     ptrdiff_t n, const float *b, ptrdiff_t ldb);

/* gm_sgemm's contract on the calling thread only (it may be inside a
 * parallel region). An operand given packed (packed_a from gm_sgemm_pack_a
 * with the same trans, m and k; likewise packed_b) is read from there and
 * its a or b is ignored; NULL packs it here. The result is the same bits
 * as gm_sgemm's. */
gm_status gm_sgemm_serial(gm_transpose trans_a, gm_transpose trans_b,
                          ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                          const float *a, ptrdiff_t lda, const float *packed_a,
                          const float *b, ptrdiff_t ldb, const float *packed_b,
                          float beta, float *c, ptrdiff_t ldc);

#endif /* GM_GEMM_PACKED_H */
