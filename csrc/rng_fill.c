/* rng_fill.c - uniform, normal and Bernoulli fills and permutations on the
 * Philox generator. Every value is a pure function of its position, so the
 * loops split freely across threads. */
#include "gm.h"
#include "parallel.h"

#include <math.h>

#define TWO_PI 6.283185307179586

/* A (0, 1] double from 32 bits: never 0, so log() is finite. */
static inline double open_unit(uint32_t u)
{
    return ((double)u + 1.0) * (1.0 / 4294967296.0);
}

gm_status gm_rng_uniform(float *out, size_t n, uint64_t seed, uint64_t stream,
                         uint64_t offset, float low, float high)
{
    if ((n && !out) || !(low <= high) || !isfinite(low) || !isfinite(high))
        return GM_ERR_ARG;
    float width = high - low;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        float v = low + width * gm_rng_uniform_at(seed, stream, offset + (uint64_t)i);
        out[i] = v < high ? v : low;   /* rounding must not reach high */
    }
    return GM_OK;
}

gm_status gm_rng_normal(float *out, size_t n, uint64_t seed, uint64_t stream,
                        uint64_t offset, float mean, float std)
{
    if ((n && !out) || !(std >= 0.0f) || !isfinite(mean) || !isfinite(std))
        return GM_ERR_ARG;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS / 4 ? gm_get_num_threads() : 1;
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        uint64_t p = 2 * (offset + (uint64_t)i);
        double r = sqrt(-2.0 * log(open_unit(gm_rng_u32_at(seed, stream, p))));
        double theta = TWO_PI * gm_rng_u32_at(seed, stream, p + 1) * (1.0 / 4294967296.0);
        out[i] = (float)(mean + std * r * cos(theta));
    }
    return GM_OK;
}

gm_status gm_rng_bernoulli(float *out, size_t n, const float *p,
                           float p_scalar, uint64_t seed, uint64_t stream,
                           uint64_t offset)
{
    if (n && !out)
        return GM_ERR_ARG;
    if (!p && !(p_scalar >= 0.0f && p_scalar <= 1.0f))
        return GM_ERR_ARG;
    int bad = 0;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    #pragma omp parallel for num_threads(threads) schedule(static) reduction(|:bad)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        float prob = p ? p[i] : p_scalar;
        bad |= !(prob >= 0.0f && prob <= 1.0f);
        /* 32-bit comparison: P(u < prob * 2^32) = prob exactly up to 2^-32 */
        double threshold = (double)prob * 4294967296.0;
        out[i] = (double)gm_rng_u32_at(seed, stream, offset + (uint64_t)i) < threshold ? 1.0f : 0.0f;
    }
    return bad ? GM_ERR_ARG : GM_OK;
}

gm_status gm_rng_permutation(int64_t *out, size_t n, uint64_t seed,
                             uint64_t stream, uint64_t offset)
{
    if (n && !out)
        return GM_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        out[i] = (int64_t)i;
    /* Fisher-Yates from the top; a 64-bit draw keeps the modulo bias below
     * 2^-32 for any n that fits in memory. */
    for (size_t i = n; i > 1; i--) {
        uint64_t pos = 2 * (offset + (n - i));
        uint64_t r = ((uint64_t)gm_rng_u32_at(seed, stream, pos) << 32) |
                     gm_rng_u32_at(seed, stream, pos + 1);
        size_t j = (size_t)(r % i);
        int64_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
    return GM_OK;
}

int gm_all_finite(const float *x, size_t n)
{
    int bad = 0;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    #pragma omp parallel for simd num_threads(threads) schedule(static) reduction(|:bad)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++)
        bad |= !isfinite(x[i]);
    return !bad;
}
