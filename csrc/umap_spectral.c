/* umap_spectral.c - the sparse products of UMAP's spectral initialisation
 * (the block eigen-solver itself runs in NumPy on these products): the
 * fused step of a Chebyshev filter. Rows in parallel, each summed in its
 * stored order, so results do not depend on the thread count. The product
 * is bound by the gathers of y1's rows, so the indices are 32-bit, the
 * usual block widths get loops of fixed length, and the CSR checks ride
 * along with the rows rather than taking a pass of their own. */
#include "gm.h"

#define BLOCK 16   /* columns summed per pass over a row's entries */

/* Row i of the step, cols usually a constant at the call site. Returns 1
 * (and writes nothing) if the row's range or one of its indices is out of
 * bounds. */
static inline __attribute__((always_inline)) int step_row(double *out, const int64_t *indptr,
                                                          const int32_t *indices, const double *values,
                                                          ptrdiff_t n, const double *y1, const double *y0,
                                                          ptrdiff_t cols, double scale, double shift, ptrdiff_t i)
{
    int64_t e0 = indptr[i], e1 = indptr[i + 1];
    if (e0 < 0 || e1 < e0 || e1 > indptr[n])
        return 1;
    int bad = 0;
    for (int64_t e = e0; e < e1; e++)
        bad |= indices[e] < 0 || indices[e] >= n;
    if (bad)
        return 1;
    for (ptrdiff_t c0 = 0; c0 < cols; c0 += BLOCK) {
        ptrdiff_t w = cols - c0 < BLOCK ? cols - c0 : BLOCK;
        double acc[BLOCK];
        for (ptrdiff_t c = 0; c < w; c++)
            acc[c] = 0;
        for (int64_t e = e0; e < e1; e++) {
            const double *yr = y1 + (ptrdiff_t)indices[e] * cols + c0;
            double v = values[e];
            for (ptrdiff_t c = 0; c < w; c++)
                acc[c] += v * yr[c];
        }
        for (ptrdiff_t c = 0; c < w; c++) {
            double r = scale * (acc[c] - shift * y1[i * cols + c0 + c]);
            out[i * cols + c0 + c] = y0 ? r - y0[i * cols + c0 + c] : r;
        }
    }
    return 0;
}

/* a case of the switch below, with the width a constant */
#define FIXED_WIDTH(w) \
    case w: \
        bad |= step_row(out, indptr, indices, values, n, y1, y0, w, scale, shift, i); \
        break;

gm_status gm_csr_chebyshev_step(double *out, const int64_t *indptr,
                                const int32_t *indices, const double *values,
                                ptrdiff_t n, const double *y1,
                                const double *y0, ptrdiff_t cols,
                                double scale, double shift)
{
    if (n < 0 || n > INT32_MAX || cols < 1 || !indptr)
        return GM_ERR_ARG;
    if (n == 0)
        return GM_OK;
    int64_t nnz = indptr[n];
    if (indptr[0] != 0 || nnz < 0 || !out || !y1 || (nnz > 0 && (!indices || !values)))
        return GM_ERR_ARG;
    int bad = 0;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 256) reduction(| : bad)
    for (ptrdiff_t i = 0; i < n; i++) {
        switch (cols) {   /* the block widths of 1- to 6-D embeddings (dim + 2) */
        FIXED_WIDTH(3) FIXED_WIDTH(4) FIXED_WIDTH(5) FIXED_WIDTH(6) FIXED_WIDTH(7) FIXED_WIDTH(8)
        default:
            bad |= step_row(out, indptr, indices, values, n, y1, y0, cols, scale, shift, i);
            break;
        }
    }
    return bad ? GM_ERR_ARG : GM_OK;
}
