/* batchnorm.c - batch normalisation. Work splits over channels; each
 * channel's sums run over (n, inner) in order in double, so the statistics
 * are the same whatever the thread count. */
#include "gm.h"
#include "lane_sums.h"

#include <math.h>

static inline const float *plane(const float *t, size_t s, size_t ch,
                                 size_t c, size_t inner)
{
    return t + (s * c + ch) * inner;
}

/* (N, C) inputs (inner == 1, BatchNorm1d): channels in blocks, each
 * block's sums taken row after row so the reads are contiguous, not a
 * column at a time; every channel still sums its samples in order, in
 * double, with the same operations as the general loop (same bits). The
 * block bodies are compiled twice, portable and AVX2 (four doubles per
 * add); the AVX2 target leaves out FMA, so both give the same bits. */
enum { ROW_BLOCK = 64 };

#define ALWAYS_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) || defined(__i386__)
#define HAVE_AVX2_PATH 1
#define TARGET_AVX2 __attribute__((target("avx2")))
#endif

typedef struct {
    float *y, *save_mean, *save_invstd, *running_mean, *running_var;
    const float *x, *gamma, *beta;
    size_t n, c;
    int training;
    float momentum, eps;
} forward_args;

typedef struct {
    float *dx, *dgamma, *dbeta;
    const float *dy, *x, *gamma, *save_mean, *save_invstd;
    size_t n, c;
    int training;
} backward_args;

static ALWAYS_INLINE void forward_block(const forward_args *a, ptrdiff_t blk)
{
    float *y = a->y, *save_mean = a->save_mean, *save_invstd = a->save_invstd;
    float *running_mean = a->running_mean, *running_var = a->running_var;
    const float *x = a->x, *gamma = a->gamma, *beta = a->beta;
    size_t n = a->n, c = a->c;
    int training = a->training;
    float momentum = a->momentum, eps = a->eps;
    {
        size_t ch0 = (size_t)blk * ROW_BLOCK, width = c - ch0 < ROW_BLOCK ? c - ch0 : ROW_BLOCK;
        double mean[ROW_BLOCK], var[ROW_BLOCK];
        float scale[ROW_BLOCK], shift[ROW_BLOCK];
        if (training) {
            double sum[ROW_BLOCK] = {0}, sq[ROW_BLOCK] = {0};
            for (size_t s = 0; s < n; s++)
                for (size_t j = 0; j < width; j++)
                    sum[j] += x[s * c + ch0 + j];
            for (size_t j = 0; j < width; j++)
                mean[j] = sum[j] / n;
            for (size_t s = 0; s < n; s++)
                for (size_t j = 0; j < width; j++) {
                    double dev = x[s * c + ch0 + j] - mean[j];
                    sq[j] += dev * dev;
                }
            for (size_t j = 0; j < width; j++) {
                size_t ch = ch0 + j;
                var[j] = sq[j] / n;
                running_mean[ch] = (float)((1.0 - momentum) * running_mean[ch] + momentum * mean[j]);
                running_var[ch] = (float)((1.0 - momentum) * running_var[ch] + momentum * sq[j] / (n - 1));
            }
        } else {
            for (size_t j = 0; j < width; j++)
                mean[j] = running_mean[ch0 + j], var[j] = running_var[ch0 + j];
        }
        for (size_t j = 0; j < width; j++) {
            size_t ch = ch0 + j;
            float invstd = (float)(1.0 / sqrt(var[j] + eps));
            save_mean[ch] = (float)mean[j];
            save_invstd[ch] = invstd;
            scale[j] = gamma[ch] * invstd;
            shift[j] = beta[ch] - (float)mean[j] * scale[j];
        }
        for (size_t s = 0; s < n; s++)
            for (size_t j = 0; j < width; j++)
                y[s * c + ch0 + j] = x[s * c + ch0 + j] * scale[j] + shift[j];
    }
}

static ALWAYS_INLINE void backward_block(const backward_args *a, ptrdiff_t blk)
{
    float *dx = a->dx, *dgamma = a->dgamma, *dbeta = a->dbeta;
    const float *dy = a->dy, *x = a->x, *gamma = a->gamma;
    const float *save_mean = a->save_mean, *save_invstd = a->save_invstd;
    size_t n = a->n, c = a->c;
    int training = a->training;
    {
        size_t ch0 = (size_t)blk * ROW_BLOCK, width = c - ch0 < ROW_BLOCK ? c - ch0 : ROW_BLOCK;
        double sum_dy[ROW_BLOCK] = {0}, sum_dy_xhat[ROW_BLOCK] = {0};
        const float *mean = save_mean + ch0, *invstd = save_invstd + ch0;
        for (size_t s = 0; s < n; s++)
            for (size_t j = 0; j < width; j++) {
                float g = dy[s * c + ch0 + j], p = x[s * c + ch0 + j];
                sum_dy[j] += g;
                sum_dy_xhat[j] += (double)g * (p - mean[j]) * invstd[j];
            }
        float k[ROW_BLOCK], mean_dy[ROW_BLOCK], mean_dy_xhat[ROW_BLOCK];
        for (size_t j = 0; j < width; j++) {
            size_t ch = ch0 + j;
            dgamma[ch] += (float)sum_dy_xhat[j];
            dbeta[ch] += (float)sum_dy[j];
            k[j] = gamma[ch] * invstd[j];
            mean_dy[j] = (float)(sum_dy[j] / n);
            mean_dy_xhat[j] = (float)(sum_dy_xhat[j] / n);
        }
        for (size_t s = 0; s < n; s++)
            for (size_t j = 0; j < width; j++) {
                size_t at = s * c + ch0 + j;
                if (training) {
                    float xhat = (x[at] - mean[j]) * invstd[j];
                    dx[at] = k[j] * (dy[at] - mean_dy[j] - xhat * mean_dy_xhat[j]);
                } else {
                    dx[at] = k[j] * dy[at];
                }
            }
    }
}

typedef void (*block_fn)(const void *args, ptrdiff_t blk);

static void forward_block_portable(const void *a, ptrdiff_t blk) { forward_block(a, blk); }
static void backward_block_portable(const void *a, ptrdiff_t blk) { backward_block(a, blk); }
#ifdef HAVE_AVX2_PATH
TARGET_AVX2 static void forward_block_avx2(const void *a, ptrdiff_t blk) { forward_block(a, blk); }
TARGET_AVX2 static void backward_block_avx2(const void *a, ptrdiff_t blk) { backward_block(a, blk); }
#else
#define forward_block_avx2 forward_block_portable
#define backward_block_avx2 backward_block_portable
#endif

/* The blocks of c channels across the threads, on this CPU's body. */
static void run_blocks(size_t c, block_fn portable, block_fn avx2, const void *args)
{
    block_fn block = portable;
#ifdef HAVE_AVX2_PATH
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        block = avx2;
#endif
    ptrdiff_t blocks = ((ptrdiff_t)c + ROW_BLOCK - 1) / ROW_BLOCK;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t blk = 0; blk < blocks; blk++)
        block(args, blk);
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
    if (inner == 1) {
        forward_args args = {y, save_mean, save_invstd, running_mean, running_var, x, gamma, beta,
                             n, c, training, momentum, eps};
        run_blocks(c, forward_block_portable, forward_block_avx2, &args);
        return GM_OK;
    }
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t ch = 0; ch < (ptrdiff_t)c; ch++) {
        double mean, var;
        if (training) {
            double sum = 0.0, sq = 0.0;
            for (size_t s = 0; s < n; s++)
                sum += lane_sum(plane(x, s, ch, c, inner), inner);
            mean = sum / count;
            for (size_t s = 0; s < n; s++)
                sq += lane_sum_sq_dev(plane(x, s, ch, c, inner), inner, mean);
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
            const float *restrict p = plane(x, s, ch, c, inner);
            float *restrict q = y + (s * c + ch) * inner;
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
    if (inner == 1) {
        backward_args args = {dx, dgamma, dbeta, dy, x, gamma, save_mean, save_invstd, n, c, training};
        run_blocks(c, backward_block_portable, backward_block_avx2, &args);
        return GM_OK;
    }
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t ch = 0; ch < (ptrdiff_t)c; ch++) {
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        float mean = save_mean[ch], invstd = save_invstd[ch];
        for (size_t s = 0; s < n; s++)
            lane_sum_grad(plane(dy, s, ch, c, inner), plane(x, s, ch, c, inner), inner, mean, invstd,
                          &sum_dy, &sum_dy_xhat);
        dgamma[ch] += (float)sum_dy_xhat;
        dbeta[ch] += (float)sum_dy;
        float k = gamma[ch] * invstd;
        float mean_dy = (float)(sum_dy / count);
        float mean_dy_xhat = (float)(sum_dy_xhat / count);
        for (size_t s = 0; s < n; s++) {
            const float *restrict g = plane(dy, s, ch, c, inner);
            const float *restrict p = plane(x, s, ch, c, inner);
            float *restrict d = dx + (s * c + ch) * inner;
            if (!training) {
                for (size_t i = 0; i < inner; i++)
                    d[i] = k * g[i];
                continue;
            }
            for (size_t i = 0; i < inner; i++) {
                float xhat = (p[i] - mean) * invstd;
                d[i] = k * (g[i] - mean_dy - xhat * mean_dy_xhat);
            }
        }
    }
    return GM_OK;
}
