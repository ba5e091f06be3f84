/* rng_fill.c - uniform, normal and Bernoulli fills and permutations on the
 * Philox generator.
 *
 * Element i of a fill is a function of the 32-bit value at position
 * offset + i alone (and of p[i] for Bernoulli), so fills split into fixed chunks that any thread may
 * take (identical results for any thread count) and a fill can be cut
 * anywhere and continued at offset + k. Each chunk draws its raw values a
 * batch at a time with gm_rng_u32_span (whole Philox blocks, vectorised)
 * into a small stack buffer, then maps them. */
#include "gm.h"

#include <math.h>

/* Positions per parallel task, and per stack batch inside a task. Neither
 * depends on the thread count, and neither changes any value. */
#define FILL_CHUNK 4096
#define FILL_BATCH 512
/* Below this many values one thread does the fill: forking costs more. */
#define FILL_PARALLEL_MIN 8192

/* offset .. offset+n-1 must be valid positions (no wrap past 2^64). */
static int span_fits(uint64_t offset, size_t n)
{
    return n == 0 || (uint64_t)(n - 1) <= UINT64_MAX - offset;
}

static int fill_threads(size_t n)
{
    return n >= FILL_PARALLEL_MIN ? gm_get_num_threads() : 1;
}

/* Calls map(out + s, bits, len, s, ctx) for consecutive batches of raw
 * values (bits[k] from position offset + s + k), chunked across threads. */
typedef void (*fill_map_fn)(float *out, const uint32_t *bits, size_t len,
                            size_t start, const void *ctx);

static void fill_chunked(float *out, size_t n, uint64_t seed, uint64_t stream,
                         uint64_t offset, fill_map_fn map, const void *ctx)
{
    ptrdiff_t chunks = (ptrdiff_t)((n + FILL_CHUNK - 1) / FILL_CHUNK);
    int threads = fill_threads(n);
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (ptrdiff_t c = 0; c < chunks; c++) {
        uint32_t bits[FILL_BATCH];
        size_t chunk_start = (size_t)c * FILL_CHUNK;
        size_t chunk_end = chunk_start + FILL_CHUNK < n ? chunk_start + FILL_CHUNK : n;
        for (size_t s = chunk_start; s < chunk_end; s += FILL_BATCH) {
            size_t len = chunk_end - s < FILL_BATCH ? chunk_end - s : FILL_BATCH;
            gm_rng_u32_span(bits, len, seed, stream, offset + s);
            map(out + s, bits, len, s, ctx);
        }
    }
}

/* ---- uniform ------------------------------------------------------------ */

typedef struct {
    double low, width;
    float high, below_high;
} uniform_ctx;

static void map_uniform(float *out, const uint32_t *bits, size_t len,
                        size_t start, const void *ctx_)
{
    const uniform_ctx *ctx = ctx_;
    for (size_t i = 0; i < len; i++) {
        double u = (double)(bits[i] >> 8) * 0x1.0p-24;
        float v = (float)(ctx->low + ctx->width * u);
        out[i] = v < ctx->high ? v : ctx->below_high;   /* rounding up to high */
    }
}

gm_status gm_rng_uniform(float *out, size_t n, uint64_t seed, uint64_t stream,
                         uint64_t offset, float low, float high)
{
    // out (n)
    if ((n && !out) || !isfinite(low) || !isfinite(high) || !(low <= high) ||
        !span_fits(offset, n))
        return GM_ERR_ARG;
    uniform_ctx ctx = {low, (double)high - (double)low, high,
                       low == high ? low : nextafterf(high, low)};
    fill_chunked(out, n, seed, stream, offset, map_uniform, &ctx);
    return GM_OK;
}

/* ---- normal: inversion of the standard normal CDF -------------------------
 * Wichura, "Algorithm AS 241: The percentage points of the normal
 * distribution", Applied Statistics 37 (1988), PPND16 (relative error about
 * 1e-16). Its third region (tail probability below exp(-25)) cannot occur:
 * the smallest tail probability here is 2^-33 > exp(-25). */

static inline double ratio7(double r, const double a[8], const double b[8])
{
    double num = ((((((a[7] * r + a[6]) * r + a[5]) * r + a[4]) * r + a[3]) * r + a[2]) * r + a[1]) * r + a[0];
    double den = ((((((b[7] * r + b[6]) * r + b[5]) * r + b[4]) * r + b[3]) * r + b[2]) * r + b[1]) * r + 1.0;
    return num / den;
}

static const double AS241_A[8] = {
    3.3871328727963666080e0, 1.3314166789178437745e+2,
    1.9715909503065514427e+3, 1.3731693765509461125e+4,
    4.5921953931549871457e+4, 6.7265770927008700853e+4,
    3.3430575583588128105e+4, 2.5090809287301226727e+3};
static const double AS241_B[8] = {
    1.0, 4.2313330701600911252e+1,
    6.8718700749205790830e+2, 5.3941960214247511077e+3,
    2.1213794301586595867e+4, 3.9307895800092710610e+4,
    2.8729085735721942674e+4, 5.2264952788528545610e+3};
static const double AS241_C[8] = {
    1.42343711074968357734e0, 4.63033784615654529590e0,
    5.76949722146069140550e0, 3.64784832476320460504e0,
    1.27045825245236838258e0, 2.41780725177450611770e-1,
    2.27238449892691845833e-2, 7.74545014278341407640e-4};
static const double AS241_D[8] = {
    1.0, 2.05319162663775882187e0,
    1.67638483018380384940e0, 6.89767334985100004550e-1,
    1.48103976427480074590e-1, 1.51986665636164571966e-2,
    5.47593808499534494600e-4, 1.05075007164441684324e-9};

/* Phi^-1((x + 0.5) / 2^32): exact arguments, no cancellation near 0 or 1. */
static inline double normal_quantile_u32(uint32_t x)
{
    double q = ((double)x + 0.5 - 2147483648.0) * 0x1.0p-32;   /* u - 1/2 */
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * ratio7(r, AS241_A, AS241_B);
    }
    /* the smaller tail probability, from the integer side it lies on */
    double tail = ((double)(q < 0 ? x : UINT32_MAX - x) + 0.5) * 0x1.0p-32;
    double r = sqrt(-log(tail)) - 1.6;
    double z = ratio7(r, AS241_C, AS241_D);
    return q < 0 ? -z : z;
}

typedef struct {
    double mean, std;
} normal_ctx;

static inline float normal_value(uint32_t x, const normal_ctx *ctx)
{
    return (float)(ctx->mean + ctx->std * normal_quantile_u32(x));
}

static void map_normal(float *out, const uint32_t *bits, size_t len,
                       size_t start, const void *ctx_)
{
    const normal_ctx *ctx = ctx_;
    for (size_t i = 0; i < len; i++)
        out[i] = normal_value(bits[i], ctx);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* ratio7 four lanes at a time: the same multiplies, adds and division in
 * the same order (AVX2 without FMA), so the same bits. */
__attribute__((target("avx2"))) static inline __m256d
ratio7_avx2(__m256d r, const double a[8], const double b[8])
{
    __m256d num = _mm256_set1_pd(a[7]), den = _mm256_set1_pd(b[7]);
    for (int k = 6; k >= 0; k--) {
        num = _mm256_add_pd(_mm256_mul_pd(num, r), _mm256_set1_pd(a[k]));
        den = _mm256_add_pd(_mm256_mul_pd(den, r), _mm256_set1_pd(b[k]));
    }
    return _mm256_div_pd(num, den);
}

/* The central region (85% of values) four at a time; the tails, which
 * need log(), one at a time through normal_value. */
__attribute__((target("avx2"))) static void
map_normal_avx2(float *out, const uint32_t *bits, size_t len, size_t start,
                const void *ctx_)
{
    const normal_ctx *ctx = ctx_;
    const __m256d mean = _mm256_set1_pd(ctx->mean), std = _mm256_set1_pd(ctx->std);
    const __m256d half = _mm256_set1_pd(0.5), scale = _mm256_set1_pd(0x1.0p-32);
    const __m256d edge = _mm256_set1_pd(0.425), r0 = _mm256_set1_pd(0.180625);
    const __m256d sign = _mm256_set1_pd(-0.0);
    const __m128i flip = _mm_set1_epi32(INT32_MIN);
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        /* q = (x - 2^31 + 0.5) 2^-32, exactly the scalar q */
        __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(bits + i)), flip);
        __m256d q = _mm256_mul_pd(_mm256_add_pd(_mm256_cvtepi32_pd(x), half), scale);
        __m256d r = _mm256_sub_pd(r0, _mm256_mul_pd(q, q));
        __m256d z = _mm256_mul_pd(q, ratio7_avx2(r, AS241_A, AS241_B));
        _mm_storeu_ps(out + i, _mm256_cvtpd_ps(_mm256_add_pd(mean, _mm256_mul_pd(std, z))));
        __m256d tail = _mm256_cmp_pd(_mm256_andnot_pd(sign, q), edge, _CMP_GT_OQ);
        for (unsigned lanes = (unsigned)_mm256_movemask_pd(tail); lanes; lanes &= lanes - 1) {
            int l = __builtin_ctz(lanes);
            out[i + l] = normal_value(bits[i + l], ctx);
        }
    }
    for (; i < len; i++)
        out[i] = normal_value(bits[i], ctx);
}
#endif

gm_status gm_rng_normal(float *out, size_t n, uint64_t seed, uint64_t stream,
                        uint64_t offset, float mean, float std)
{
    // out (n)
    if ((n && !out) || !isfinite(mean) || !isfinite(std) || !(std >= 0.0f) ||
        !span_fits(offset, n))
        return GM_ERR_ARG;
    normal_ctx ctx = {mean, std};
    fill_map_fn map = map_normal;
#if defined(__x86_64__) || defined(__i386__)
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        map = map_normal_avx2;
#endif
    fill_chunked(out, n, seed, stream, offset, map, &ctx);
    return GM_OK;
}

/* ---- Bernoulli ------------------------------------------------------------ */

typedef struct {
    const float *p;      /* per element, or NULL */
    double threshold;    /* p_scalar * 2^32 */
} bernoulli_ctx;

static void map_bernoulli(float *out, const uint32_t *bits, size_t len,
                          size_t start, const void *ctx_)
{
    const bernoulli_ctx *ctx = ctx_;
    if (!ctx->p) {
        for (size_t i = 0; i < len; i++)
            out[i] = (double)bits[i] < ctx->threshold ? 1.0f : 0.0f;
        return;
    }
    const float *p = ctx->p + start;
    for (size_t i = 0; i < len; i++)
        out[i] = (double)bits[i] < (double)p[i] * 0x1.0p32 ? 1.0f : 0.0f;
}

static int probability_ok(float p)
{
    return p >= 0.0f && p <= 1.0f;   /* false for NaN */
}

gm_status gm_rng_bernoulli(float *out, size_t n, const float *p,
                           float p_scalar, uint64_t seed, uint64_t stream,
                           uint64_t offset)
{
    // out (n), p (n) or NULL
    if ((n && !out) || (!p && !probability_ok(p_scalar)) || !span_fits(offset, n))
        return GM_ERR_ARG;
    if (p) {
        /* validate first, so a bad p leaves no half-written mask behind */
        int bad = 0;
        int threads = fill_threads(n);
        #pragma omp parallel for simd num_threads(threads) if (threads > 1) \
            schedule(static) reduction(|:bad)
        for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++)
            bad |= !probability_ok(p[i]);
        if (bad)
            return GM_ERR_ARG;
    }
    bernoulli_ctx ctx = {p, (double)p_scalar * 0x1.0p32};
    fill_chunked(out, n, seed, stream, offset, map_bernoulli, &ctx);
    return GM_OK;
}

/* ---- permutation ------------------------------------------------------------ */

/* Fisher-Yates from the top: step k (k = 0 .. n-2) swaps slot i - 1 = n-1-k
 * with j = r % i, where r is the 64-bit draw made of the 32-bit values at
 * positions 2 (offset + k) and 2 (offset + k) + 1. The 64-bit draw keeps
 * the modulo bias below n / 2^64. Draws come a stack batch at a time. */
gm_status gm_rng_permutation(int64_t *out, size_t n, uint64_t seed,
                             uint64_t stream, uint64_t offset)
{
    // out (n)
    const uint64_t limit = UINT64_C(1) << 63;   /* 64-bit draws in a stream */
    if ((n && !out) || offset > limit || (uint64_t)n > limit - offset)
        return GM_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        out[i] = (int64_t)i;
    uint32_t bits[FILL_BATCH];
    for (size_t k0 = 0; k0 + 1 < n; k0 += FILL_BATCH / 2) {
        size_t count = n - 1 - k0 < FILL_BATCH / 2 ? n - 1 - k0 : FILL_BATCH / 2;
        gm_rng_u32_span(bits, 2 * count, seed, stream, 2 * (offset + k0));
        for (size_t d = 0; d < count; d++) {
            size_t i = n - (k0 + d);   /* slots 0 .. i-1 are still to place */
            uint64_t r = ((uint64_t)bits[2 * d] << 32) | bits[2 * d + 1];
            size_t j = (size_t)(r % i);
            int64_t t = out[i - 1];
            out[i - 1] = out[j];
            out[j] = t;
        }
    }
    return GM_OK;
}
