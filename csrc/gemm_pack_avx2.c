/* gemm_pack_avx2.c - packing with AVX2: the strided cases (op(B)
 * transposed, op(A) untransposed) as 8 x 8 register transposes instead of
 * one scalar store per value, and whole-row copies in ymm registers. Same
 * panels as gemm_pack.c, value for value; only called when the CPU has
 * AVX2. */
#include "gemm_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2")))

/* r[0..7] <- their transpose (r[i] lane j <- r[j] lane i). */
TARGET_AVX2 static inline void transpose8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* out[p * width + i] = rows[i][p] for p < kc, i < count (count <= 8,
 * width >= count): 8 x 8 blocks through registers (missing rows read as
 * zeros), then a scalar tail in p. With count < 8 a full 8-lane store
 * spills into the next row of out, which a later store overwrites; only
 * the very last row is stored masked (masked stores are slow on some
 * CPUs). */
TARGET_AVX2 static void interleave_rows(float *out, ptrdiff_t width, const float *const rows[8], int count,
                                        ptrdiff_t kc)
{
    static const int lane_on[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    __m256i mask = _mm256_loadu_si256((const __m256i *)(const void *)(lane_on + 8 - count));
    ptrdiff_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++)
            r[i] = i < count ? _mm256_loadu_ps(rows[i] + p) : _mm256_setzero_ps();
        transpose8(r);
        for (int q = 0; q < 8; q++) {
            if (count < 8 && p + q == kc - 1)
                _mm256_maskstore_ps(out + (p + q) * width, mask, r[q]);
            else
                _mm256_storeu_ps(out + (p + q) * width, r[q]);
        }
    }
    for (; p < kc; p++)
        for (int i = 0; i < count; i++)
            out[p * width + i] = rows[i][p];
}

TARGET_AVX2 void gm_gemm_pack_a_panel_avx2(float *dst, const float *a, ptrdiff_t lda, int trans,
                                           ptrdiff_t i0, ptrdiff_t p0, ptrdiff_t mc,
                                           ptrdiff_t kc, ptrdiff_t panel)
{
    ptrdiff_t r0 = panel * GEMM_MR;
    int rows = (int)(mc - r0 < GEMM_MR ? mc - r0 : GEMM_MR);
    if (trans || rows < GEMM_MR) {   /* contiguous already, or an edge panel */
        gm_gemm_pack_a_panel(dst, a, lda, trans, i0, p0, mc, kc, panel);
        return;
    }
    const float *src[8];
    for (int i = 0; i < GEMM_MR; i++)
        src[i] = a + (i0 + r0 + i) * lda + p0;
    interleave_rows(dst + panel * GEMM_MR * kc, GEMM_MR, src, GEMM_MR, kc);
}

TARGET_AVX2 void gm_gemm_pack_b_panel_avx2(float *dst, const float *b, ptrdiff_t ldb, int trans,
                                           ptrdiff_t p0, ptrdiff_t j0, ptrdiff_t kc,
                                           ptrdiff_t nc, ptrdiff_t panel)
{
    ptrdiff_t c0 = panel * GEMM_NR;
    ptrdiff_t cols = nc - c0 < GEMM_NR ? nc - c0 : GEMM_NR;
    float *out = dst + panel * GEMM_NR * kc;
    if (cols < GEMM_NR) {   /* an edge panel: zero padding, rare */
        gm_gemm_pack_b_panel(dst, b, ldb, trans, p0, j0, kc, nc, panel);
        return;
    }
    if (trans) {
        /* op(B)[p, j] = B[j, p]: two 8-column halves of the panel */
        for (int half = 0; half < 2; half++) {
            const float *src[8];
            for (int j = 0; j < 8; j++)
                src[j] = b + (j0 + c0 + 8 * half + j) * ldb + p0;
            interleave_rows(out + 8 * half, GEMM_NR, src, 8, kc);
        }
        return;
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        const float *src = b + (p0 + p) * ldb + j0 + c0;
        _mm256_store_ps(out + p * GEMM_NR, _mm256_loadu_ps(src));
        _mm256_store_ps(out + p * GEMM_NR + 8, _mm256_loadu_ps(src + 8));
    }
}
#endif
