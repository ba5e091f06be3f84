/* umap_fuzzy.c - the fuzzy simplicial set of UMAP: per point, the
 * distance rho to its nearest neighbour and the bandwidth sigma that make
 * its memberships exp(-(d - rho) / sigma) sum to a target (umap-learn's
 * smooth_knn_dist, with the same bisection, tolerance and floors); then
 * the fuzzy union w + w^T - w * w^T of those directed memberships as CSR. */
#include "gm.h"

#include <math.h>

#define SMOOTH_TOLERANCE 1e-5
#define MIN_K_DIST_SCALE 1e-3

/* sum_j exp(-max(d_j - rho, 0) / sigma) over one row */
static double membership_sum(const float *d, ptrdiff_t m, double rho, double sigma)
{
    double s = 0;
    for (ptrdiff_t j = 0; j < m; j++) {
        double over = (double)d[j] - rho;
        s += over > 0 ? exp(-over / sigma) : 1.0;
    }
    return s;
}

gm_status gm_umap_smooth_knn(float *weights, float *rho, float *sigma,
                             const float *distances, ptrdiff_t n, ptrdiff_t m,
                             float target, int n_iter, int local_connectivity)
{
    if (n < 0 || m < 1 || !(target > 0) || n_iter < 1 || local_connectivity < 0 ||
        local_connectivity > 1)
        return GM_ERR_ARG;
    if (n == 0)
        return GM_OK;
    if (!weights || !rho || !sigma || !distances)
        return GM_ERR_ARG;
    /* the mean over all rows, each with its zero self-distance */
    double total = 0;
    int bad = 0;
    for (ptrdiff_t t = 0; t < n * m; t++) {
        bad |= !(distances[t] >= 0) || isinf(distances[t]);
        total += distances[t];
    }
    if (bad)
        return GM_ERR_NONFINITE;
    double mean_all = total / ((double)n * (double)(m + 1));

    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        const float *d = distances + i * m;
        double r = 0, row_sum = 0;
        for (ptrdiff_t j = 0; j < m; j++)
            row_sum += d[j];
        for (ptrdiff_t j = 0; j < m && local_connectivity; j++)
            if (d[j] > 0) {
                r = d[j];
                break;
            }
        double lo = 0, hi = INFINITY, mid = 1;
        for (int it = 0; it < n_iter; it++) {
            double s = membership_sum(d, m, r, mid);
            if (fabs(s - target) < SMOOTH_TOLERANCE)
                break;
            if (s > target) {
                hi = mid;
                mid = (lo + hi) / 2;
            } else {
                lo = mid;
                mid = isinf(hi) ? mid * 2 : (lo + hi) / 2;
            }
        }
        double floor = MIN_K_DIST_SCALE * (r > 0 ? row_sum / (double)(m + 1) : mean_all);
        if (mid < floor)
            mid = floor;
        rho[i] = (float)r;
        sigma[i] = (float)mid;
        for (ptrdiff_t j = 0; j < m; j++) {
            double over = (double)d[j] - r;
            weights[i * m + j] = over > 0 && mid > 0 ? (float)exp(-over / mid) : 1.0f;
        }
    }
    return GM_OK;
}

/* ---- fuzzy union ------------------------------------------------------- */

/* An edge: its other end and its weight, side by side so that the
 * transpose's scattered writes touch one cache line each. */
typedef struct {
    int64_t end;
    double w;
} fuzzy_edge;

/* The workspace, carved from one block: row i's kept edges (weight > 0)
 * sorted by column in fwd[i * m, i * m + fwd_len[i]), and the transpose,
 * row c listing the rows i with an edge (i, c) in rev[rev_ptr[c],
 * rev_ptr[c + 1]). */
typedef struct {
    fuzzy_edge *fwd, *rev;
    int64_t *fwd_len, *rev_ptr;
} fuzzy_workspace;

size_t gm_umap_fuzzy_union_workspace_size(ptrdiff_t n, ptrdiff_t m)
{
    if (n < 0 || m < 0)
        return 0;
    return 2 * (size_t)n * (size_t)m * sizeof(fuzzy_edge) + (2 * (size_t)n + 1) * sizeof(int64_t);
}

static fuzzy_workspace fuzzy_workspace_at(void *workspace, ptrdiff_t n, ptrdiff_t m)
{
    fuzzy_workspace ws;
    ws.fwd = workspace;
    ws.rev = ws.fwd + n * m;
    ws.fwd_len = (int64_t *)(ws.rev + n * m);
    ws.rev_ptr = ws.fwd_len + n;
    return ws;
}

/* Row i's edges of weight > 0 into out, sorted by column, ties in their
 * order in the row (a stable sort: runs of 16 by insertion, which is the
 * whole sort for the usual 15-30 neighbours, then bottom-up merges through
 * scratch, m edges). Returns how many were kept; *bad_index, *bad_weight
 * flag an index outside [0, n) and a NaN or infinite weight. */
static ptrdiff_t sorted_row(fuzzy_edge *out, fuzzy_edge *scratch, const int64_t *idx, const double *w,
                            ptrdiff_t n, ptrdiff_t m, int *bad_index, int *bad_weight)
{
    ptrdiff_t len = 0;
    for (ptrdiff_t j = 0; j < m; j++) {
        *bad_index |= idx[j] < 0 || idx[j] >= n;
        *bad_weight |= !isfinite(w[j]);
        if (w[j] > 0)
            scratch[len++] = (fuzzy_edge){idx[j], w[j]};
    }
    enum { RUN = 16 };
    for (ptrdiff_t r0 = 0; r0 < len; r0 += RUN) {
        ptrdiff_t r1 = r0 + RUN < len ? r0 + RUN : len;
        for (ptrdiff_t j = r0 + 1; j < r1; j++) {
            fuzzy_edge e = scratch[j];
            ptrdiff_t t = j;
            for (; t > r0 && scratch[t - 1].end > e.end; t--)
                scratch[t] = scratch[t - 1];
            scratch[t] = e;
        }
    }
    /* merges of neighbouring runs, the left run first on ties */
    fuzzy_edge *src = scratch, *dst = out;
    for (ptrdiff_t width = RUN; width < len; width *= 2) {
        for (ptrdiff_t lo = 0; lo < len; lo += 2 * width) {
            ptrdiff_t mid = lo + width < len ? lo + width : len;
            ptrdiff_t hi = lo + 2 * width < len ? lo + 2 * width : len;
            ptrdiff_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = src[b].end < src[a].end ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        fuzzy_edge *t = src;
        src = dst;
        dst = t;
    }
    if (src != out)
        for (ptrdiff_t j = 0; j < len; j++)
            out[j] = src[j];
    return len;
}

/* Row r of the union, in column order: its own edges (r, c) with w + x -
 * w * x, x the weight of the first edge (c, r) or 0, and for columns with
 * no own edge the mirror images of the edges (c, r), each with w + 0 -
 * w * 0. With cols NULL only counts. Returns the row's length. */
static int64_t merge_row(int64_t *cols, double *vals, const fuzzy_workspace *ws, ptrdiff_t r, ptrdiff_t m)
{
    const fuzzy_edge *f = ws->fwd + r * m, *rv = ws->rev + ws->rev_ptr[r];
    int64_t fl = ws->fwd_len[r], rl = ws->rev_ptr[r + 1] - ws->rev_ptr[r];
    int64_t a = 0, b = 0, o = 0;
    while (a < fl || b < rl) {
        int64_t c = a < fl && (b >= rl || f[a].end <= rv[b].end) ? f[a].end : rv[b].end;
        int64_t b0 = b;
        while (b < rl && rv[b].end == c)
            b++;
        if (a < fl && f[a].end == c) {
            double x = b > b0 ? rv[b0].w : 0.0;
            for (; a < fl && f[a].end == c; a++, o++)
                if (cols) {
                    double w = f[a].w;
                    cols[o] = c;
                    vals[o] = w + x - w * x;
                }
        } else {
            for (int64_t t = b0; t < b; t++, o++)
                if (cols) {
                    cols[o] = c;
                    vals[o] = rv[t].w;   /* w + 0 - w * 0 */
                }
        }
    }
    return o;
}

gm_status gm_umap_fuzzy_union_count(int64_t *indptr, void *workspace,
                                    const int64_t *indices,
                                    const double *weights, ptrdiff_t n,
                                    ptrdiff_t m)
{
    if (n < 0 || m < 0 || !indptr || (n > 0 && m > 0 && (!workspace || !indices || !weights)))
        return GM_ERR_ARG;
    indptr[0] = 0;
    if (n == 0)
        return GM_OK;
    if (m == 0) {
        for (ptrdiff_t i = 1; i <= n; i++)
            indptr[i] = 0;
        return GM_OK;
    }
    fuzzy_workspace ws = fuzzy_workspace_at(workspace, n, m);
    /* each row's kept edges, sorted (the transpose's space as scratch) */
    int bad_index = 0, bad_weight = 0;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static) \
        reduction(| : bad_index, bad_weight)
    for (ptrdiff_t i = 0; i < n; i++)
        ws.fwd_len[i] = sorted_row(ws.fwd + i * m, ws.rev + i * m, indices + i * m, weights + i * m, n, m,
                                   &bad_index, &bad_weight);
    if (bad_index)
        return GM_ERR_ARG;
    if (bad_weight)
        return GM_ERR_NONFINITE;
    /* the transpose by counting: rows arrive in increasing order, so each
     * reverse list comes out sorted (ties in their row's order) */
    int64_t *ptr = ws.rev_ptr;
    for (ptrdiff_t c = 0; c <= n; c++)
        ptr[c] = 0;
    for (ptrdiff_t i = 0; i < n; i++)
        for (int64_t s = 0; s < ws.fwd_len[i]; s++)
            ptr[ws.fwd[i * m + s].end + 1]++;
    for (ptrdiff_t c = 0; c < n; c++)
        ptr[c + 1] += ptr[c];
    for (ptrdiff_t i = 0; i < n; i++)     /* ptr[c] runs to the end of row c */
        for (int64_t s = 0; s < ws.fwd_len[i]; s++) {
            fuzzy_edge e = ws.fwd[i * m + s];
            ws.rev[ptr[e.end]++] = (fuzzy_edge){i, e.w};
        }
    for (ptrdiff_t c = n; c > 0; c--)
        ptr[c] = ptr[c - 1];
    ptr[0] = 0;
    /* row lengths of the union, then their running sum */
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t r = 0; r < n; r++)
        indptr[r + 1] = merge_row(NULL, NULL, &ws, r, m);
    for (ptrdiff_t r = 0; r < n; r++)
        indptr[r + 1] += indptr[r];
    return GM_OK;
}

gm_status gm_umap_fuzzy_union_fill(int64_t *out_indices, double *out_values,
                                   const int64_t *indptr,
                                   const void *workspace, ptrdiff_t n,
                                   ptrdiff_t m)
{
    if (n < 0 || m < 0 || !indptr)
        return GM_ERR_ARG;
    if (n == 0 || m == 0 || indptr[n] == 0)
        return GM_OK;
    if (!out_indices || !out_values || !workspace)
        return GM_ERR_ARG;
    fuzzy_workspace ws = fuzzy_workspace_at((void *)workspace, n, m);
    int bad = 0;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static) reduction(| : bad)
    for (ptrdiff_t r = 0; r < n; r++)
        bad |= merge_row(out_indices + indptr[r], out_values + indptr[r], &ws, r, m) != indptr[r + 1] - indptr[r];
    return bad ? GM_ERR_INTERNAL : GM_OK;
}
