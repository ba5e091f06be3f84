/* umap_forces.c - the layout's gradient coefficients, many at a time:
 * x^b by a short float polynomial (no libm), eight lanes at once with AVX2
 * and one by one otherwise, with the same operations in the same order so
 * both paths give the same bits. */
#include "gm.h"

#include <string.h>

#ifdef __x86_64__
#include <immintrin.h>
#endif

/* x^b = 2^(b log2 x) for x > 0 (x below 1e-30 counts as 1e-30):
 * x = 2^e m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(z) with z =
 * (m - 1)/(m + 1) to z^7, then 2^t = 2^k 2^f with |f| <= 1/2 to f^6.
 * Relative error about 1e-6 (float rounding of t), ample for SGD. */
#define POW_FLOOR 1e-30f
#define POW_SQRT2 1.41421356f
#define POW_LOG2E 1.44269504f
#define POW_ROUND 12582912.0f   /* 1.5 * 2^23: adding it rounds to an integer */
#define C1 0.693147182f         /* ln(2)^n / n! */
#define C2 0.240226507f
#define C3 0.0555041087f
#define C4 0.00961812911f
#define C5 0.00133335581f
#define C6 0.000154035304f

static inline float pow_portable(float x, float b)
{
    x = x > POW_FLOOR ? x : POW_FLOOR;
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    float e = (float)((int32_t)(bits >> 23) - 127);
    bits = (bits & 0x007fffffu) | 0x3f800000u;
    float m;
    memcpy(&m, &bits, sizeof m);
    if (m > POW_SQRT2) {
        m = m * 0.5f;
        e = e + 1.0f;
    }
    float z = (m - 1.0f) / (m + 1.0f), z2 = z * z;
    float ln_m = (z + z) * (1.0f + z2 * (0.333333343f + z2 * (0.200000003f + z2 * 0.142857149f)));
    float t = b * (e + ln_m * POW_LOG2E);
    t = t < -126.0f ? -126.0f : (t > 126.0f ? 126.0f : t);
    float k = (t + POW_ROUND) - POW_ROUND;
    float f = t - k;
    float p = 1.0f + f * (C1 + f * (C2 + f * (C3 + f * (C4 + f * (C5 + f * C6)))));
    uint32_t scale_bits = (uint32_t)((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return p * scale;
}

/* One coefficient: 0 unless d2 > 0; attraction -2ab d2^(b-1) /
 * (1 + a d2^b), repulsion 2 gamma b / ((0.001 + d2)(1 + a d2^b)). */
static inline float coefficient_portable(float d2, uint8_t attract, float a, float b, float gamma)
{
    float pb = pow_portable(d2, b);
    float denominator = a * pb + 1.0f;
    /* one division: the chosen force's numerator over its denominator */
    float numerator = attract ? (-2.0f * a * b) * pb : 2.0f * gamma * b;
    float scale = attract ? (d2 > 0 ? d2 : 1.0f) : 0.001f + d2;
    float c = numerator / (scale * denominator);
    return d2 > 0 ? c : 0.0f;
}

#ifdef __x86_64__
__attribute__((target("avx2")))
static inline __m256 pow_avx2(__m256 x, __m256 b)
{
    x = _mm256_max_ps(x, _mm256_set1_ps(POW_FLOOR));
    __m256i bits = _mm256_castps_si256(x);
    __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                                   _mm256_set1_epi32(0x3f800000)));
    __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(POW_SQRT2), _CMP_GT_OQ);
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
    e = _mm256_blendv_ps(e, _mm256_add_ps(e, _mm256_set1_ps(1.0f)), big);
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 z = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
    __m256 z2 = _mm256_mul_ps(z, z);
    __m256 s = _mm256_add_ps(_mm256_set1_ps(0.200000003f), _mm256_mul_ps(z2, _mm256_set1_ps(0.142857149f)));
    s = _mm256_add_ps(_mm256_set1_ps(0.333333343f), _mm256_mul_ps(z2, s));
    s = _mm256_add_ps(one, _mm256_mul_ps(z2, s));
    __m256 ln_m = _mm256_mul_ps(_mm256_add_ps(z, z), s);
    __m256 t = _mm256_mul_ps(b, _mm256_add_ps(e, _mm256_mul_ps(ln_m, _mm256_set1_ps(POW_LOG2E))));
    /* the clamp as the portable path's comparisons: t < -126 ? -126 : (t > 126 ? 126 : t) */
    t = _mm256_blendv_ps(t, _mm256_set1_ps(126.0f), _mm256_cmp_ps(t, _mm256_set1_ps(126.0f), _CMP_GT_OQ));
    t = _mm256_blendv_ps(t, _mm256_set1_ps(-126.0f), _mm256_cmp_ps(t, _mm256_set1_ps(-126.0f), _CMP_LT_OQ));
    __m256 k = _mm256_sub_ps(_mm256_add_ps(t, _mm256_set1_ps(POW_ROUND)), _mm256_set1_ps(POW_ROUND));
    __m256 f = _mm256_sub_ps(t, k);
    __m256 p = _mm256_add_ps(_mm256_set1_ps(C5), _mm256_mul_ps(f, _mm256_set1_ps(C6)));
    p = _mm256_add_ps(_mm256_set1_ps(C4), _mm256_mul_ps(f, p));
    p = _mm256_add_ps(_mm256_set1_ps(C3), _mm256_mul_ps(f, p));
    p = _mm256_add_ps(_mm256_set1_ps(C2), _mm256_mul_ps(f, p));
    p = _mm256_add_ps(_mm256_set1_ps(C1), _mm256_mul_ps(f, p));
    p = _mm256_add_ps(one, _mm256_mul_ps(f, p));
    __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

__attribute__((target("avx2")))
static void coefficients_avx2(float *coeff, const float *d2, const uint8_t *attract, ptrdiff_t n, float a,
                              float b, float gamma)
{
    __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    __m256 pull_scale = _mm256_set1_ps(-2.0f * a * b), push_scale = _mm256_set1_ps(2.0f * gamma * b);
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(d2 + i);
        __m256 pb = pow_avx2(x, vb);
        __m256 denominator = _mm256_add_ps(_mm256_mul_ps(va, pb), one);
        __m256 positive = _mm256_cmp_ps(x, zero, _CMP_GT_OQ);
        __m128i flags8 = _mm_loadl_epi64((const __m128i *)(const void *)(attract + i));
        __m256 is_pull = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_cvtepu8_epi32(flags8), _mm256_setzero_si256()));
        __m256 numerator = _mm256_blendv_ps(push_scale, _mm256_mul_ps(pull_scale, pb), is_pull);
        __m256 scale = _mm256_blendv_ps(_mm256_add_ps(_mm256_set1_ps(0.001f), x), _mm256_blendv_ps(one, x, positive),
                                        is_pull);
        __m256 c = _mm256_div_ps(numerator, _mm256_mul_ps(scale, denominator));
        _mm256_storeu_ps(coeff + i, _mm256_and_ps(c, positive));
    }
    for (; i < n; i++)
        coeff[i] = coefficient_portable(d2[i], attract[i], a, b, gamma);
}

__attribute__((target("avx2")))
static void pow_many_avx2(float *out, const float *x, ptrdiff_t n, float b)
{
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, pow_avx2(_mm256_loadu_ps(x + i), _mm256_set1_ps(b)));
    for (; i < n; i++)
        out[i] = pow_portable(x[i], b);
}
#endif

static int use_avx2(void)
{
#ifdef __x86_64__
    return (gm_cpu_features() & GM_CPU_AVX2_FMA) != 0;
#else
    return 0;
#endif
}

void gm_umap_coefficients(float *coeff, const float *d2, const uint8_t *attract, ptrdiff_t n, float a, float b,
                          float gamma)
{
#ifdef __x86_64__
    if (use_avx2()) {
        coefficients_avx2(coeff, d2, attract, n, a, b, gamma);
        return;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++)
        coeff[i] = coefficient_portable(d2[i], attract[i], a, b, gamma);
}

void gm_umap_pow(float *out, const float *x, ptrdiff_t n, float b)
{
#ifdef __x86_64__
    if (use_avx2()) {
        pow_many_avx2(out, x, n, b);
        return;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = pow_portable(x[i], b);
}
