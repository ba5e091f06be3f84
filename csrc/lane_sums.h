/* lane_sums.h - sums over a run of floats in LANE_SUMS independent double
 * running sums, combined in lane order at the end. The order is fixed by
 * the run's length alone (so results do not depend on the thread count),
 * and the compiler keeps the lanes in vector registers, where one running
 * sum waits four cycles on every add. Internal. */
#ifndef GM_LANE_SUMS_H
#define GM_LANE_SUMS_H

#include <stddef.h>

enum { LANE_SUMS = 8 };

static inline double lanes_total(const double *lane)
{
    double total = 0.0;
    for (int l = 0; l < LANE_SUMS; l++)
        total += lane[l];
    return total;
}

/* sum of x[0..len) */
static inline double lane_sum(const float *x, size_t len)
{
    double lane[LANE_SUMS] = {0};
    size_t i = 0;
    for (; i + LANE_SUMS <= len; i += LANE_SUMS)
        for (int l = 0; l < LANE_SUMS; l++)
            lane[l] += x[i + l];
    for (int l = 0; i < len; i++, l++)
        lane[l] += x[i];
    return lanes_total(lane);
}

/* sum of (x[i] - mean)^2 */
static inline double lane_sum_sq_dev(const float *x, size_t len, double mean)
{
    double lane[LANE_SUMS] = {0};
    size_t i = 0;
    for (; i + LANE_SUMS <= len; i += LANE_SUMS)
        for (int l = 0; l < LANE_SUMS; l++) {
            double dev = x[i + l] - mean;
            lane[l] += dev * dev;
        }
    for (int l = 0; i < len; i++, l++) {
        double dev = x[i] - mean;
        lane[l] += dev * dev;
    }
    return lanes_total(lane);
}

/* *sum_g += sum of g[i]; *sum_gx += sum of g[i] * (x[i] - mean) * invstd */
static inline void lane_sum_grad(const float *g, const float *x, size_t len, float mean, float invstd,
                                 double *sum_g, double *sum_gx)
{
    double a[LANE_SUMS] = {0}, b[LANE_SUMS] = {0};
    size_t i = 0;
    for (; i + LANE_SUMS <= len; i += LANE_SUMS)
        for (int l = 0; l < LANE_SUMS; l++) {
            a[l] += g[i + l];
            b[l] += (double)g[i + l] * (x[i + l] - mean) * invstd;
        }
    for (int l = 0; i < len; i++, l++) {
        a[l] += g[i];
        b[l] += (double)g[i] * (x[i] - mean) * invstd;
    }
    *sum_g += lanes_total(a);
    *sum_gx += lanes_total(b);
}

#endif /* GM_LANE_SUMS_H */
