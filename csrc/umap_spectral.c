/* umap_spectral.c - the sparse products of UMAP's spectral initialisation
 * (the block eigen-solver itself runs in NumPy on these products). */
#include "gm.h"

gm_status gm_csr_matmul_f64(double *out, const int64_t *indptr,
                            const int64_t *indices, const double *values,
                            ptrdiff_t n_rows, ptrdiff_t n_cols,
                            const double *x, ptrdiff_t cols)
{
    if (n_rows < 0 || n_cols < 0 || cols < 1 || !indptr)
        return GM_ERR_ARG;
    if (n_rows == 0)
        return GM_OK;
    int64_t nnz = indptr[n_rows];
    if (indptr[0] != 0 || !out || (nnz > 0 && (!indices || !values || !x)))
        return GM_ERR_ARG;
    for (ptrdiff_t i = 0; i < n_rows; i++)
        if (indptr[i + 1] < indptr[i])
            return GM_ERR_ARG;
    for (int64_t e = 0; e < nnz; e++)
        if (indices[e] < 0 || indices[e] >= n_cols)
            return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 256)
    for (ptrdiff_t i = 0; i < n_rows; i++) {
        double *o = out + i * cols;
        for (ptrdiff_t c = 0; c < cols; c++)
            o[c] = 0;
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) {
            const double *xr = x + indices[e] * cols;
            double v = values[e];
            for (ptrdiff_t c = 0; c < cols; c++)
                o[c] += v * xr[c];
        }
    }
    return GM_OK;
}
