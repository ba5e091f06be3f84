/* umap_spectral.c - the sparse products of UMAP's spectral initialisation
 * (the block eigen-solver itself runs in NumPy on these products): the
 * fused step of a Chebyshev filter. Rows in parallel, each
 * summed in its stored order, so results do not depend on the thread
 * count. */
#include "gm.h"

gm_status gm_csr_chebyshev_step(double *out, const int64_t *indptr,
                                const int64_t *indices, const double *values,
                                ptrdiff_t n, const double *y1,
                                const double *y0, ptrdiff_t cols,
                                double scale, double shift)
{
    if (n < 0 || cols < 1 || !indptr)
        return GM_ERR_ARG;
    if (n == 0)
        return GM_OK;
    int64_t nnz = indptr[n];
    if (indptr[0] != 0 || !out || !y1 || (nnz > 0 && (!indices || !values)))
        return GM_ERR_ARG;
    for (ptrdiff_t i = 0; i < n; i++)
        if (indptr[i + 1] < indptr[i])
            return GM_ERR_ARG;
    for (int64_t e = 0; e < nnz; e++)
        if (indices[e] < 0 || indices[e] >= n)
            return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 256)
    for (ptrdiff_t i = 0; i < n; i++) {
        double acc[16];
        for (ptrdiff_t c0 = 0; c0 < cols; c0 += 16) {
            ptrdiff_t w = cols - c0 < 16 ? cols - c0 : 16;
            for (ptrdiff_t c = 0; c < w; c++)
                acc[c] = 0;
            for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) {
                const double *yr = y1 + indices[e] * cols + c0;
                double v = values[e];
                for (ptrdiff_t c = 0; c < w; c++)
                    acc[c] += v * yr[c];
            }
            for (ptrdiff_t c = 0; c < w; c++) {
                double r = scale * (acc[c] - shift * y1[i * cols + c0 + c]);
                out[i * cols + c0 + c] = y0 ? r - y0[i * cols + c0 + c] : r;
            }
        }
    }
    return GM_OK;
}
