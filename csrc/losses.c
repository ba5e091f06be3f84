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

/* ---- binary cross-entropy with logits --------------------------------- *
 * Per element max(x, 0) - x t + log1p(e) with e = exp(-|x|), and the
 * gradient scale * (sigmoid(x) - t), sigmoid taken from the same e. A row
 * sums its terms in double. The AVX2 row evaluates exp and log1p by
 * polynomials (relative error about 1e-7; no libm call per element), eight
 * lanes at a time, lanes summed in a fixed order. */

typedef double (*bce_row_fn)(float *grad, const float *x, const float *t, size_t d, float scale);

static double bce_row_portable(float *grad, const float *x, const float *t, size_t d, float scale)
{
    double sum = 0.0;
    for (size_t j = 0; j < d; j++) {
        float e = expf(-fabsf(x[j]));
        sum += fmaxf(x[j], 0.0f) - x[j] * t[j] + log1pf(e);
        if (grad) {
            /* sigmoid(x) from the same exp(-|x|) */
            float s = x[j] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
            grad[j] = scale * (s - t[j]);
        }
    }
    return sum;
}

#ifdef __x86_64__
#include "simd_math.h"

/* Eight lanes' terms and gradients. */
TARGET_AVX2 static inline __m256 bce_lanes_avx2(__m256 x, __m256 t, __m256 *grad, float scale)
{
    __m256 abs_x = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 e = exp_negative_avx2(abs_x);
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 term = _mm256_add_ps(_mm256_sub_ps(_mm256_max_ps(x, _mm256_setzero_ps()), _mm256_mul_ps(x, t)),
                                log1p_unit_avx2(e));
    __m256 non_negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    __m256 s = _mm256_div_ps(_mm256_blendv_ps(e, one, non_negative), _mm256_add_ps(one, e));
    *grad = _mm256_mul_ps(_mm256_set1_ps(scale), _mm256_sub_ps(s, t));
    return term;
}

TARGET_AVX2 static inline __m256d add_lanes_to(__m256d acc, __m256 v, __m256d *acc_high)
{
    *acc_high = _mm256_add_pd(*acc_high, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
}

TARGET_AVX2 static double bce_row_avx2(float *grad, const float *x, const float *t, size_t d, float scale)
{
    __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= d; j += 8) {
        __m256 g;
        __m256 term = bce_lanes_avx2(_mm256_loadu_ps(x + j), _mm256_loadu_ps(t + j), &g, scale);
        low = add_lanes_to(low, term, &high);
        if (grad)
            _mm256_storeu_ps(grad + j, g);
    }
    if (j < d) {   /* the tail through the same lanes, padded with zeros */
        float xs[8] = {0}, ts[8] = {0}, gs[8], terms[8];
        size_t rest = d - j;
        for (size_t l = 0; l < rest; l++)
            xs[l] = x[j + l], ts[l] = t[j + l];
        __m256 g;
        _mm256_storeu_ps(terms, bce_lanes_avx2(_mm256_loadu_ps(xs), _mm256_loadu_ps(ts), &g, scale));
        _mm256_storeu_ps(gs, g);
        for (size_t l = rest; l < 8; l++)
            terms[l] = 0.0f;
        low = add_lanes_to(low, _mm256_loadu_ps(terms), &high);
        if (grad)
            for (size_t l = 0; l < rest; l++)
                grad[j + l] = gs[l];
    }
    double lanes[8];
    _mm256_storeu_pd(lanes, low);
    _mm256_storeu_pd(lanes + 4, high);
    double sum = 0.0;
    for (int l = 0; l < 8; l++)
        sum += lanes[l];
    return sum;
}
#endif

static bce_row_fn bce_row_select(void)
{
#ifdef __x86_64__
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        return bce_row_avx2;
#endif
    return bce_row_portable;
}

gm_status gm_bce_with_logits(float *loss, float *grad, const float *logits,
                             const float *targets, size_t n, size_t d,
                             float scale)
{
    if (n && (!loss || (d && (!logits || !targets))))
        return GM_ERR_ARG;
    bce_row_fn row = bce_row_select();
    #pragma omp parallel for num_threads(pick_threads(n * d)) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++)
        loss[i] = (float)row(grad ? grad + i * d : NULL, logits + i * d, targets + i * d, d, scale);
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
