/* umap_fuzzy.c - the local fuzzy sets of UMAP: per point, the distance
 * rho to its nearest neighbour and the bandwidth sigma that make its
 * memberships exp(-(d - rho) / sigma) sum to a target (umap-learn's
 * smooth_knn_dist, with the same bisection, tolerance and floors). */
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
