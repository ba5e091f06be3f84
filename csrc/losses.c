/* losses.c - per-example losses and gradients. Rows are independent, so
 * the work splits over rows; each row sums its features in order, in
 * double, so results do not depend on the thread count. */
#include "gm.h"
#include "parallel.h"

#include <math.h>

#define LOG_2PI 1.8378770664093453

static int pick_threads(size_t elements)
{
    return elements >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
}

gm_status gm_bce_with_logits(float *loss, float *grad, const float *logits,
                             const float *targets, size_t n, size_t d,
                             float scale)
{
    if (n && (!loss || (d && (!logits || !targets))))
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(pick_threads(n * d)) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        const float *x = logits + i * d, *t = targets + i * d;
        double sum = 0.0;
        for (size_t j = 0; j < d; j++) {
            float e = expf(-fabsf(x[j]));
            sum += fmaxf(x[j], 0.0f) - x[j] * t[j] + log1pf(e);
            if (grad) {
                /* sigmoid(x) from the same exp(-|x|) */
                float s = x[j] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
                grad[i * d + j] = scale * (s - t[j]);
            }
        }
        loss[i] = (float)sum;
    }
    return GM_OK;
}

gm_status gm_mse(float *loss, float *grad, const float *pred,
                 const float *target, size_t n, size_t d, float scale)
{
    if (n && (!loss || (d && (!pred || !target))))
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(pick_threads(n * d)) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        const float *p = pred + i * d, *t = target + i * d;
        double sum = 0.0;
        for (size_t j = 0; j < d; j++) {
            float diff = p[j] - t[j];
            sum += (double)diff * diff;
            if (grad)
                grad[i * d + j] = 2.0f * scale * diff;
        }
        loss[i] = (float)sum;
    }
    return GM_OK;
}

gm_status gm_softmax_cross_entropy(float *loss, float *grad,
                                   const float *logits, const int64_t *labels,
                                   size_t n, size_t k, float scale)
{
    if (n && (!loss || !labels || !logits || k == 0))
        return GM_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (uint64_t)labels[i] >= k)
            return GM_ERR_ARG;
    #pragma omp parallel for num_threads(pick_threads(n * k)) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        const float *x = logits + i * k;
        float max = x[0];
        for (size_t j = 1; j < k; j++)
            max = fmaxf(max, x[j]);
        double total = 0.0;
        for (size_t j = 0; j < k; j++)
            total += exp((double)(x[j] - max));
        double log_z = max + log(total);
        loss[i] = (float)(log_z - x[labels[i]]);
        if (grad) {
            for (size_t j = 0; j < k; j++)
                grad[i * k + j] = scale * (float)exp(x[j] - log_z);
            grad[i * k + labels[i]] -= scale;
        }
    }
    return GM_OK;
}

gm_status gm_gaussian_kl(float *loss, float *grad_mu, float *grad_logvar,
                         const float *mu, const float *logvar, size_t n,
                         size_t d, float scale)
{
    if (n && (!loss || (d && (!mu || !logvar))))
        return GM_ERR_ARG;
    if (!grad_mu != !grad_logvar)
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(pick_threads(n * d)) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        const float *m = mu + i * d, *lv = logvar + i * d;
        double sum = 0.0;
        for (size_t j = 0; j < d; j++) {
            float var = expf(lv[j]);
            sum += 0.5 * ((double)var + (double)m[j] * m[j] - 1.0 - lv[j]);
            if (grad_mu) {
                grad_mu[i * d + j] = scale * m[j];
                grad_logvar[i * d + j] = 0.5f * scale * (var - 1.0f);
            }
        }
        loss[i] = (float)sum;
    }
    return GM_OK;
}

gm_status gm_gaussian_nll(float *loss, float *grad_mean, float *grad_logvar,
                          const float *mean, const float *target,
                          const float *logvar, gm_logvar_layout layout,
                          size_t n, size_t d, float scale)
{
    if (layout != GM_LOGVAR_FULL && layout != GM_LOGVAR_PER_FEATURE &&
        layout != GM_LOGVAR_SCALAR)
        return GM_ERR_ARG;
    if (n && (!loss || (d && (!mean || !target || !logvar))))
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(pick_threads(n * d)) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        double sum = 0.0;
        for (size_t j = 0; j < d; j++) {
            size_t e = i * d + j;
            float lv = layout == GM_LOGVAR_FULL ? logvar[e]
                     : layout == GM_LOGVAR_PER_FEATURE ? logvar[j] : logvar[0];
            float inv_var = expf(-lv), diff = target[e] - mean[e];
            sum += 0.5 * (LOG_2PI + lv + (double)diff * diff * inv_var);
            if (grad_mean)
                grad_mean[e] = -scale * diff * inv_var;
            if (grad_logvar && layout == GM_LOGVAR_FULL)
                grad_logvar[e] = 0.5f * scale * (1.0f - diff * diff * inv_var);
        }
        loss[i] = (float)sum;
    }
    if (grad_logvar && layout == GM_LOGVAR_PER_FEATURE) {
        /* A log-variance shared by the batch: its terms summed in order. */
        for (size_t j = 0; j < d; j++) {
            double inv_var = exp(-(double)logvar[j]), acc = 0.0;
            for (size_t i = 0; i < n; i++) {
                double diff = (double)target[i * d + j] - mean[i * d + j];
                acc += 0.5 * (1.0 - diff * diff * inv_var);
            }
            grad_logvar[j] = (float)(scale * acc);
        }
    } else if (grad_logvar && layout == GM_LOGVAR_SCALAR) {
        double inv_var = exp(-(double)logvar[0]), acc = 0.0;
        for (size_t e = 0; e < n * d; e++) {
            double diff = (double)target[e] - mean[e];
            acc += 0.5 * (1.0 - diff * diff * inv_var);
        }
        grad_logvar[0] = (float)(scale * acc);
    }
    return GM_OK;
}
