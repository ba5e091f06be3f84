/* batchnorm.c - batch normalisation. Work splits over channels; each
 * channel's sums run over (n, inner) in order in double, so the statistics
 * are the same whatever the thread count. */
#include "gm.h"

#include <math.h>

static inline const float *plane(const float *t, size_t s, size_t ch,
                                 size_t c, size_t inner)
{
    return t + (s * c + ch) * inner;
}

gm_status gm_batchnorm_forward(float *y, float *save_mean, float *save_invstd,
                               const float *x, const float *gamma,
                               const float *beta, float *running_mean,
                               float *running_var, size_t n, size_t c,
                               size_t inner, int training, float momentum,
                               float eps)
{
    size_t count = n * inner;
    if (c == 0 || (count == 0 && !training))
        return GM_OK;
    if (!y || !x || !gamma || !beta || !running_mean || !running_var ||
        !save_mean || !save_invstd || !(eps > 0.0f) ||
        !(momentum >= 0.0f && momentum <= 1.0f))
        return GM_ERR_ARG;
    if (training && count < 2)
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t ch = 0; ch < (ptrdiff_t)c; ch++) {
        double mean, var;
        if (training) {
            double sum = 0.0, sq = 0.0;
            for (size_t s = 0; s < n; s++) {
                const float *p = plane(x, s, ch, c, inner);
                for (size_t i = 0; i < inner; i++)
                    sum += p[i];
            }
            mean = sum / count;
            for (size_t s = 0; s < n; s++) {
                const float *p = plane(x, s, ch, c, inner);
                for (size_t i = 0; i < inner; i++) {
                    double dev = p[i] - mean;
                    sq += dev * dev;
                }
            }
            var = sq / count;
            running_mean[ch] = (float)((1.0 - momentum) * running_mean[ch] + momentum * mean);
            running_var[ch] = (float)((1.0 - momentum) * running_var[ch] +
                                      momentum * sq / (count - 1));
        } else {
            mean = running_mean[ch];
            var = running_var[ch];
        }
        float invstd = (float)(1.0 / sqrt(var + eps));
        save_mean[ch] = (float)mean;
        save_invstd[ch] = invstd;
        float scale = gamma[ch] * invstd;
        float shift = beta[ch] - (float)mean * scale;
        for (size_t s = 0; s < n; s++) {
            const float *p = plane(x, s, ch, c, inner);
            float *q = y + (s * c + ch) * inner;
            for (size_t i = 0; i < inner; i++)
                q[i] = p[i] * scale + shift;
        }
    }
    return GM_OK;
}

gm_status gm_batchnorm_backward(float *dx, float *dgamma, float *dbeta,
                                const float *dy, const float *x,
                                const float *gamma, const float *save_mean,
                                const float *save_invstd, size_t n, size_t c,
                                size_t inner, int training)
{
    size_t count = n * inner;
    if (c == 0 || count == 0)
        return GM_OK;
    if (!dx || !dgamma || !dbeta || !dy || !x || !gamma || !save_mean ||
        !save_invstd)
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t ch = 0; ch < (ptrdiff_t)c; ch++) {
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        float mean = save_mean[ch], invstd = save_invstd[ch];
        for (size_t s = 0; s < n; s++) {
            const float *g = plane(dy, s, ch, c, inner);
            const float *p = plane(x, s, ch, c, inner);
            for (size_t i = 0; i < inner; i++) {
                sum_dy += g[i];
                sum_dy_xhat += (double)g[i] * (p[i] - mean) * invstd;
            }
        }
        dgamma[ch] += (float)sum_dy_xhat;
        dbeta[ch] += (float)sum_dy;
        float k = gamma[ch] * invstd;
        float mean_dy = (float)(sum_dy / count);
        float mean_dy_xhat = (float)(sum_dy_xhat / count);
        for (size_t s = 0; s < n; s++) {
            const float *g = plane(dy, s, ch, c, inner);
            const float *p = plane(x, s, ch, c, inner);
            float *d = dx + (s * c + ch) * inner;
            for (size_t i = 0; i < inner; i++) {
                if (training) {
                    float xhat = (p[i] - mean) * invstd;
                    d[i] = k * (g[i] - mean_dy - xhat * mean_dy_xhat);
                } else {
                    d[i] = k * g[i];
                }
            }
        }
    }
    return GM_OK;
}
