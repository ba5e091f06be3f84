/* activations.c - pointwise activations, bias add and bias gradient.
 * Pointwise work is deterministic whatever the split; sums over the batch
 * run per channel in a fixed order (double accumulators). */
#include "gm.h"
#include "lane_sums.h"
#include "parallel.h"

#include <math.h>

/* log(1 + exp(x)) without overflow. */
static inline float softplus(float x)
{
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

static inline float sigmoid(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* Pointwise activations with a vector path run in tasks of TASK values
 * (a multiple of eight): each task does whole blocks of eight in vector
 * lanes, then its scalar rest, so only the array's last few values can
 * take the scalar path; which path a value takes depends on n alone,
 * never on the thread split. */
enum { TASK = 4096 };

typedef void activation_range_fn(float *y, const float *x, ptrdiff_t begin, ptrdiff_t end, float alpha);

static void run_in_tasks(activation_range_fn *range, float *y, const float *x, ptrdiff_t n, float alpha,
                         int threads)
{
    ptrdiff_t tasks = (n + TASK - 1) / TASK;
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (ptrdiff_t t = 0; t < tasks; t++)
        range(y, x, t * TASK, (t + 1) * TASK < n ? (t + 1) * TASK : n, alpha);
}

/* Leaky ReLU as x * slope, slope 1 or alpha: exact for slope 1, NaN
 * passes through, and the vector lanes give the scalar bits. */
static void leaky_relu_range(float *y, const float *x, ptrdiff_t begin, ptrdiff_t end, float alpha)
{
    for (ptrdiff_t i = begin; i < end; i++) {
        float v = x[i];
        y[i] = v * (v >= 0.0f ? 1.0f : alpha);
    }
}

static void sigmoid_range(float *y, const float *x, ptrdiff_t begin, ptrdiff_t end, float alpha)
{
    for (ptrdiff_t i = begin; i < end; i++)
        y[i] = sigmoid(x[i]);
}

#ifdef __x86_64__
#include "simd_math.h"

TARGET_AVX2 static void leaky_relu_range_avx2(float *y, const float *x, ptrdiff_t begin, ptrdiff_t end,
                                              float alpha)
{
    __m256 one = _mm256_set1_ps(1.0f), slope_neg = _mm256_set1_ps(alpha), zero = _mm256_setzero_ps();
    ptrdiff_t i = begin;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 slope = _mm256_blendv_ps(slope_neg, one, _mm256_cmp_ps(v, zero, _CMP_GE_OQ));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, slope));
    }
    leaky_relu_range(y, x, i, end, alpha);
}

/* Sigmoid from exp(-|x|) as the scalar sigmoid (relative error about
 * 1e-7 against libm's). */
TARGET_AVX2 static void sigmoid_range_avx2(float *y, const float *x, ptrdiff_t begin, ptrdiff_t end, float alpha)
{
    __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    ptrdiff_t i = begin;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = exp_negative_avx2(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v));
        __m256 numerator = _mm256_blendv_ps(e, one, _mm256_cmp_ps(v, zero, _CMP_GE_OQ));
        _mm256_storeu_ps(y + i, _mm256_div_ps(numerator, _mm256_add_ps(one, e)));
    }
    sigmoid_range(y, x, i, end, alpha);
}
#endif

/* The AVX2 range function when the CPU has it, else the portable one. */
static activation_range_fn *pick_range(activation_range_fn *portable, activation_range_fn *avx2)
{
#ifdef __x86_64__
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        return avx2;
#endif
    return portable;
}

#ifndef __x86_64__   /* no vector paths: the portable ranges stand in */
#define leaky_relu_range_avx2 leaky_relu_range
#define sigmoid_range_avx2 sigmoid_range
#endif

gm_status gm_activation_forward(float *y, const float *x, size_t n,
                                gm_activation kind, float alpha)
{
    if (n && (!x || !y))
        return GM_ERR_ARG;
    ptrdiff_t len = (ptrdiff_t)n;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    switch (kind) {
    case GM_ACT_RELU:
        #pragma omp parallel for simd num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++)
            y[i] = x[i] < 0.0f ? 0.0f : x[i];   /* NaN passes through */
        break;
    case GM_ACT_LEAKY_RELU:
        run_in_tasks(pick_range(leaky_relu_range, leaky_relu_range_avx2), y, x, len, alpha, threads);
        break;
    case GM_ACT_SIGMOID:
        run_in_tasks(pick_range(sigmoid_range, sigmoid_range_avx2), y, x, len, alpha, threads);
        break;
    case GM_ACT_TANH:
        #pragma omp parallel for num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++)
            y[i] = tanhf(x[i]);
        break;
    case GM_ACT_SOFTPLUS:
        #pragma omp parallel for num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++)
            y[i] = softplus(x[i]);
        break;
    default:
        return GM_ERR_ARG;
    }
    return GM_OK;
}

gm_status gm_activation_backward(float *dx, const float *dy, const float *x,
                                 const float *y, size_t n, gm_activation kind,
                                 float alpha)
{
    int needs_x = kind == GM_ACT_RELU || kind == GM_ACT_LEAKY_RELU ||
                  kind == GM_ACT_SOFTPLUS;
    if (n && (!dx || !dy || (needs_x ? !x : !y)))
        return GM_ERR_ARG;
    ptrdiff_t len = (ptrdiff_t)n;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    switch (kind) {
    case GM_ACT_RELU:
        #pragma omp parallel for simd num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++) {
            float d = dy[i];   /* read unconditionally: a select, not a branch */
            dx[i] = x[i] > 0.0f ? d : 0.0f;
        }
        break;
    case GM_ACT_LEAKY_RELU:
        #pragma omp parallel for simd num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++) {
            float slope = x[i] > 0.0f ? 1.0f : alpha;
            dx[i] = dy[i] * slope;
        }
        break;
    case GM_ACT_SIGMOID:
        #pragma omp parallel for simd num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case GM_ACT_TANH:
        #pragma omp parallel for simd num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case GM_ACT_SOFTPLUS:
        #pragma omp parallel for num_threads(threads) schedule(static)
        for (ptrdiff_t i = 0; i < len; i++)
            dx[i] = dy[i] * sigmoid(x[i]);
        break;
    default:
        return GM_ERR_ARG;
    }
    return GM_OK;
}

gm_status gm_bias_add(float *y, const float *x, const float *bias, size_t n,
                      size_t c, size_t inner)
{
    size_t total = n * c * inner;
    if (total && (!y || !x || !bias))
        return GM_ERR_ARG;
    ptrdiff_t rows = (ptrdiff_t)(n * c);
    int threads = total >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    if (inner == 1) {   /* (N, C): a whole row of channels at a time, in vector lanes */
        #pragma omp parallel for num_threads(threads) schedule(static)
        for (ptrdiff_t s = 0; s < (ptrdiff_t)n; s++) {
            const float *xs = x + s * (ptrdiff_t)c;
            float *ys = y + s * (ptrdiff_t)c;
            for (size_t ch = 0; ch < c; ch++)
                ys[ch] = xs[ch] + bias[ch];
        }
        return GM_OK;
    }
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (ptrdiff_t r = 0; r < rows; r++) {
        float b = bias[r % (ptrdiff_t)c];
        const float *xr = x + r * inner;
        float *yr = y + r * inner;
        for (size_t i = 0; i < inner; i++)
            yr[i] = xr[i] + b;
    }
    return GM_OK;
}

gm_status gm_bias_grad(float *db, const float *dy, size_t n, size_t c,
                       size_t inner, int accumulate)
{
    if (c && !db)
        return GM_ERR_ARG;
    if (n * c * inner != 0 && !dy)
        return GM_ERR_ARG;
    int threads = n * c * inner >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    if (inner == 1) {
        /* (N, C): blocks of channels summed row after row, in vector lanes
         * (the same order per channel as below: samples in order, in double) */
        enum { BLOCK = 64 };
        ptrdiff_t blocks = ((ptrdiff_t)c + BLOCK - 1) / BLOCK;
        #pragma omp parallel for num_threads(threads) schedule(static)
        for (ptrdiff_t blk = 0; blk < blocks; blk++) {
            size_t ch0 = (size_t)blk * BLOCK, width = c - ch0 < BLOCK ? c - ch0 : BLOCK;
            double sum[BLOCK] = {0};
            for (size_t s = 0; s < n; s++) {
                const float *row = dy + s * c + ch0;
                for (size_t j = 0; j < width; j++)
                    sum[j] += row[j];
            }
            for (size_t j = 0; j < width; j++)
                db[ch0 + j] = accumulate ? db[ch0 + j] + (float)sum[j] : (float)sum[j];
        }
        return GM_OK;
    }
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (ptrdiff_t ch = 0; ch < (ptrdiff_t)c; ch++) {
        double sum = 0.0;
        for (size_t s = 0; s < n; s++)
            sum += lane_sum(dy + (s * c + (size_t)ch) * inner, inner);
        db[ch] = accumulate ? db[ch] + (float)sum : (float)sum;
    }
    return GM_OK;
}
