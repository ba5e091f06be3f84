/* gemm.c - packed, cache-blocked SGEMM (the BLIS loop nest).
 *
 *   for jc in n by NC:                 packed B block (KC x NC) in L3
 *     for pc in k by KC:               pack B panels (threads split panels)
 *       for (ic, jb) work items:       threads split MC x NB blocks of C;
 *         pack A block (MC x KC)       each packs its own A block (in L2)
 *         for jr, ir:                  micro-kernel on an MR x NR tile
 *
 * Determinism: threads only ever split whole tiles of C, and every tile
 * sums its k range in the same order (pc blocks in order, k in order within
 * a block), so C is bitwise identical for any thread count. */
#include "gemm_internal.h"
#include "gemm_packed.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* The micro-kernel and packers for this CPU. */
typedef struct {
    gemm_micro_kernel kernel;
    gemm_pack_a_fn *pack_a;
    gemm_pack_b_fn *pack_b;
} gemm_parts;

static gemm_parts pick_parts(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        return (gemm_parts){gm_gemm_kernel_avx2, gm_gemm_pack_a_panel_avx2, gm_gemm_pack_b_panel_avx2};
#endif
    return (gemm_parts){gm_gemm_kernel_ref, gm_gemm_pack_a_panel, gm_gemm_pack_b_panel};
}

/* C += bias on every row, for the beta-only case. */
static void add_bias(float *c, ptrdiff_t ldc, ptrdiff_t m, ptrdiff_t n, const float *bias)
{
    for (ptrdiff_t i = 0; i < m; i++)
        for (ptrdiff_t j = 0; j < n; j++)
            c[i * ldc + j] += bias[j];
}

/* C = beta * C for the beta-only case (k == 0 or alpha == 0). */
static void scale_c(float *c, ptrdiff_t ldc, ptrdiff_t m, ptrdiff_t n, float beta)
{
    for (ptrdiff_t i = 0; i < m; i++)
        for (ptrdiff_t j = 0; j < n; j++)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

static ptrdiff_t min_ptrdiff(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

/* Start of block i when `units` panels are split into `blocks` near-equal
 * runs: work items of equal size keep the threads equally busy (blocks of
 * a fixed size left one of two threads a third idle on 128-row GEMMs). */
static ptrdiff_t block_start(ptrdiff_t i, ptrdiff_t units, ptrdiff_t blocks)
{
    return i * units / blocks;
}

static ptrdiff_t round_up(ptrdiff_t x, ptrdiff_t to) { return (x + to - 1) / to * to; }

/* Whole operands packed once: the KC-deep block starting at depth pc holds
 * every panel, so block (ic, pc) of A starts at pc * round_up(m, MR) + ic * kc
 * and block (jc, pc) of B at pc * round_up(n, NR) + jc * kc: exactly the
 * panels the loop nest would pack itself. */
size_t gm_sgemm_packed_a_size(ptrdiff_t m, ptrdiff_t k) { return (size_t)(round_up(m, GEMM_MR) * k); }
size_t gm_sgemm_packed_b_size(ptrdiff_t k, ptrdiff_t n) { return (size_t)(round_up(n, GEMM_NR) * k); }

/* All of op(A) (dim = m) or, with as_b, all of op(B) (dim = n), packed
 * block by block; threaded over panels. */
static void pack_whole(int as_b, float *packed, gm_transpose trans, ptrdiff_t dim, ptrdiff_t k,
                       const float *src, ptrdiff_t ld)
{
    gemm_parts parts = pick_parts();
    ptrdiff_t width = as_b ? GEMM_NR : GEMM_MR;
    ptrdiff_t panels = (dim + width - 1) / width, blocks = (k + GEMM_KC - 1) / GEMM_KC;
    #pragma omp parallel for collapse(2) num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t blk = 0; blk < blocks; blk++)
        for (ptrdiff_t q = 0; q < panels; q++) {
            ptrdiff_t pc = blk * GEMM_KC, kc = min_ptrdiff(GEMM_KC, k - pc);
            float *block = packed + pc * panels * width;
            if (as_b)
                parts.pack_b(block, src, ld, trans, pc, 0, kc, dim, q);
            else
                parts.pack_a(block, src, ld, trans, 0, pc, dim, kc, q);
        }
}

void gm_sgemm_pack_a(float *packed, gm_transpose trans_a, ptrdiff_t m, ptrdiff_t k,
                     const float *a, ptrdiff_t lda)
{
    pack_whole(0, packed, trans_a, m, k, a, lda);
}

void gm_sgemm_pack_b(float *packed, gm_transpose trans_b, ptrdiff_t k, ptrdiff_t n,
                     const float *b, ptrdiff_t ldb)
{
    pack_whole(1, packed, trans_b, n, k, b, ldb);
}

/* The whole loop nest on the calling thread, packing what was not given
 * packed into its own buffers. Tiles start at multiples of MR and NR and
 * sum k in KC blocks in order, as in the shared path, so the bits agree. */
static gm_status gemm_serial(const gemm_parts *parts, gm_transpose trans_a, gm_transpose trans_b,
                             ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                             const float *a, ptrdiff_t lda, const float *packed_a,
                             const float *b, ptrdiff_t ldb, const float *packed_b,
                             float beta, float *c, ptrdiff_t ldc, const float *bias)
{
    ptrdiff_t m_pad = round_up(m, GEMM_MR), n_pad = round_up(n, GEMM_NR);
    float *own_b = packed_b ? NULL : gm_gemm_buffer_b((size_t)(round_up(min_ptrdiff(GEMM_NC, n), GEMM_NR) * GEMM_KC));
    float *own_a = packed_a ? NULL : gm_gemm_buffer_a((size_t)GEMM_MC * GEMM_KC);
    if ((!packed_b && !own_b) || (!packed_a && !own_a))
        return GM_ERR_NOMEM;
    for (ptrdiff_t jc = 0; jc < n; jc += GEMM_NC) {
        ptrdiff_t nc = min_ptrdiff(GEMM_NC, n - jc);
        for (ptrdiff_t pc = 0; pc < k; pc += GEMM_KC) {
            ptrdiff_t kc = min_ptrdiff(GEMM_KC, k - pc);
            float beta_pc = pc == 0 ? beta : 1.0f;
            const float *bias_pc = bias && pc + kc == k ? bias + jc : NULL;   /* added after the last block */
            const float *block_b = packed_b ? packed_b + pc * n_pad + jc * kc : own_b;
            if (!packed_b)
                for (ptrdiff_t q = 0; q < (nc + GEMM_NR - 1) / GEMM_NR; q++)
                    parts->pack_b(own_b, b, ldb, trans_b, pc, jc, kc, nc, q);
            for (ptrdiff_t ic = 0; ic < m; ic += GEMM_MC) {
                ptrdiff_t mc = min_ptrdiff(GEMM_MC, m - ic);
                const float *block_a = packed_a ? packed_a + pc * m_pad + ic * kc : own_a;
                if (!packed_a)
                    for (ptrdiff_t q = 0; q < (mc + GEMM_MR - 1) / GEMM_MR; q++)
                        parts->pack_a(own_a, a, lda, trans_a, ic, pc, mc, kc, q);
                for (ptrdiff_t jr = 0; jr < nc; jr += GEMM_NR) {
                    int nr = (int)min_ptrdiff(GEMM_NR, nc - jr);
                    for (ptrdiff_t ir = 0; ir < mc; ir += GEMM_MR)
                        parts->kernel(kc, block_a + ir * kc, block_b + jr * kc, c + (ic + ir) * ldc + jc + jr,
                                      ldc, alpha, beta_pc, bias_pc ? bias_pc + jr : NULL,
                                      (int)min_ptrdiff(GEMM_MR, mc - ir), nr);
                }
            }
        }
    }
    return GM_OK;
}

gm_status gm_sgemm_serial(gm_transpose trans_a, gm_transpose trans_b,
                          ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                          const float *a, ptrdiff_t lda, const float *packed_a,
                          const float *b, ptrdiff_t ldb, const float *packed_b,
                          float beta, float *c, ptrdiff_t ldc)
{
    /* a packed operand has no leading dimension to check: give it the least */
    gm_status s = gm_sgemm_check_args(trans_a, trans_b, m, n, k, packed_a ? packed_a : a,
                                      packed_a ? (trans_a ? m : k) : lda, packed_b ? packed_b : b,
                                      packed_b ? (trans_b ? k : n) : ldb, c, ldc);
    if (s != GM_OK || m == 0 || n == 0)
        return s;
    if (k == 0 || alpha == 0.0f) {
        scale_c(c, ldc, m, n, beta);
        return GM_OK;
    }
    gemm_parts parts = pick_parts();
    return gemm_serial(&parts, trans_a, trans_b, m, n, k, alpha, a, lda, packed_a, b, ldb, packed_b,
                       beta, c, ldc, NULL);
}

gm_status gm_sgemm(gm_transpose trans_a, gm_transpose trans_b,
                   ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                   float alpha, const float *a, ptrdiff_t lda,
                   const float *b, ptrdiff_t ldb,
                   float beta, float *c, ptrdiff_t ldc)
{
    return gm_sgemm_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL);
}

gm_status gm_sgemm_bias(gm_transpose trans_a, gm_transpose trans_b,
                        ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                        float alpha, const float *a, ptrdiff_t lda,
                        const float *b, ptrdiff_t ldb,
                        float beta, float *c, ptrdiff_t ldc, const float *bias)
{
    gm_status s = gm_sgemm_check_args(trans_a, trans_b, m, n, k, a, lda, b,
                                       ldb, c, ldc);
    if (s != GM_OK || m == 0 || n == 0)
        return s;
    if (k == 0 || alpha == 0.0f) {
        scale_c(c, ldc, m, n, beta);
        if (bias)
            add_bias(c, ldc, m, n, bias);
        return GM_OK;
    }
    double flops = (double)m * n * k;
    int threads = flops < GEMM_MIN_PARALLEL_FLOPS ? 1 : gm_get_num_threads();
    gemm_parts parts = pick_parts();
    ptrdiff_t col_panels = (n + GEMM_NR - 1) / GEMM_NR;
    if (threads == 1 || (m <= GEMM_SPLIT_COLUMNS_MAX_M && col_panels >= 2 * threads)) {
        /* one thread, or few rows: each thread takes a run of whole column
         * panels and works alone (packing the small A again costs less
         * than the barriers of a shared B) */
        int failed = 0;
        #pragma omp parallel for num_threads(threads) schedule(static) reduction(| : failed)
        for (int t = 0; t < threads; t++) {
            ptrdiff_t j_begin = block_start(t, col_panels, threads) * GEMM_NR;
            ptrdiff_t j_end = min_ptrdiff(block_start(t + 1, col_panels, threads) * GEMM_NR, n);
            const float *b_cols = b + (trans_b ? j_begin * ldb : j_begin);
            if (j_begin < j_end)
                failed |= gemm_serial(&parts, trans_a, trans_b, m, j_end - j_begin, k, alpha, a, lda, NULL,
                                      b_cols, ldb, NULL, beta, c + j_begin, ldc,
                                      bias ? bias + j_begin : NULL) != GM_OK;
        }
        return failed ? GM_ERR_NOMEM : GM_OK;
    }
    /* Packed B is shared by the team; each thread packs its own A blocks. */
    float *pack_b = gm_gemm_buffer_b((size_t)GEMM_NC * GEMM_KC);
    float *pack_a = gm_gemm_buffer_a((size_t)threads * GEMM_MC * GEMM_KC);
    if (!pack_a || !pack_b)
        return GM_ERR_NOMEM;
    ptrdiff_t row_blocks = (m + GEMM_MC - 1) / GEMM_MC;
    ptrdiff_t row_panels = (m + GEMM_MR - 1) / GEMM_MR;

    #pragma omp parallel num_threads(threads)
    {
        float *my_a = pack_a;
#ifdef _OPENMP
        my_a += (size_t)omp_get_thread_num() * GEMM_MC * GEMM_KC;
#endif
        for (ptrdiff_t jc = 0; jc < n; jc += GEMM_NC) {
            ptrdiff_t nc = min_ptrdiff(GEMM_NC, n - jc);
            ptrdiff_t b_panels = (nc + GEMM_NR - 1) / GEMM_NR;
            ptrdiff_t col_blocks = (nc + GEMM_NB - 1) / GEMM_NB;
            /* as many work items for every thread; the tiles of C and
             * their sums stay the same, so the result does not change */
            while ((row_blocks * col_blocks) % threads && col_blocks < b_panels)
                col_blocks++;
            for (ptrdiff_t pc = 0; pc < k; pc += GEMM_KC) {
                ptrdiff_t kc = min_ptrdiff(GEMM_KC, k - pc);
                float beta_pc = pc == 0 ? beta : 1.0f;
                const float *bias_pc = bias && pc + kc == k ? bias + jc : NULL;
                #pragma omp for schedule(static)
                for (ptrdiff_t q = 0; q < b_panels; q++)
                    parts.pack_b(pack_b, b, ldb, trans_b, pc, jc, kc, nc, q);
                /* Static chunks of consecutive items: a thread meets each of
                 * its row blocks in one run and packs it once. */
                ptrdiff_t packed_ic = -1;
                #pragma omp for schedule(static)
                for (ptrdiff_t item = 0; item < row_blocks * col_blocks; item++) {
                    ptrdiff_t r = item / col_blocks, cb = item % col_blocks;
                    ptrdiff_t ic = block_start(r, row_panels, row_blocks) * GEMM_MR;
                    ptrdiff_t mc = min_ptrdiff(block_start(r + 1, row_panels, row_blocks) * GEMM_MR, m) - ic;
                    ptrdiff_t jb = block_start(cb, b_panels, col_blocks) * GEMM_NR;
                    ptrdiff_t j_end = min_ptrdiff(block_start(cb + 1, b_panels, col_blocks) * GEMM_NR, nc);
                    if (ic != packed_ic) {
                        for (ptrdiff_t q = 0; q < (mc + GEMM_MR - 1) / GEMM_MR; q++)
                            parts.pack_a(my_a, a, lda, trans_a, ic, pc, mc, kc, q);
                        packed_ic = ic;
                    }
                    for (ptrdiff_t jr = jb; jr < j_end; jr += GEMM_NR) {
                        const float *bp = pack_b + (jr / GEMM_NR) * GEMM_NR * kc;
                        int nr = (int)min_ptrdiff(GEMM_NR, j_end - jr);
                        for (ptrdiff_t ir = 0; ir < mc; ir += GEMM_MR) {
                            int mr = (int)min_ptrdiff(GEMM_MR, mc - ir);
                            parts.kernel(kc, my_a + ir * kc, bp, c + (ic + ir) * ldc + jc + jr,
                                   ldc, alpha, beta_pc, bias_pc ? bias_pc + jr : NULL, mr, nr);
                        }
                    }
                }
            }
        }
    }
    return GM_OK;
}
