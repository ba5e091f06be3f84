/* simd_math.h - exp and log1p for eight float lanes with AVX2/FMA, by
 * polynomials (relative error about 1e-7, no libm call per element), for
 * the elementwise kernels' vector paths. x86-64 only; include inside
 * #ifdef __x86_64__ and call only when the CPU has AVX2 and FMA. */
#ifndef GM_SIMD_MATH_H
#define GM_SIMD_MATH_H

#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2,fma")))

/* exp(-a) for a >= 0 (a above 87 counts as 87; NaN stays NaN): a = k ln2
 * + r with |r| <= ln2 / 2 (Cody-Waite: ln2 in two parts), exp(-r) by its
 * Taylor series to r^7, times 2^-k. */
TARGET_AVX2 static inline __m256 exp_negative_avx2(__m256 a)
{
    a = _mm256_min_ps(_mm256_set1_ps(87.0f), a);   /* this operand order passes NaN through */
    __m256 k = _mm256_round_ps(_mm256_mul_ps(a, _mm256_set1_ps(1.44269504f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145752f), a);    /* ln2's leading bits */
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.42860677e-6f), r);          /* and the rest */
    __m256 y = _mm256_sub_ps(_mm256_setzero_ps(), r);                    /* exp(y), |y| <= ln2/2 */
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(1.0f));
    __m256i scale = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(127), _mm256_cvtps_epi32(k)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

/* log1p(e) for e in [0, 1] as 2 atanh(z), z = e / (2 + e) <= 1/3, by the
 * series to z^13: no cancellation for small e. */
TARGET_AVX2 static inline __m256 log1p_unit_avx2(__m256 e)
{
    __m256 z = _mm256_div_ps(e, _mm256_add_ps(_mm256_set1_ps(2.0f), e));
    __m256 z2 = _mm256_mul_ps(z, z);
    __m256 p = _mm256_set1_ps(1.0f / 13);
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.0f / 11));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.0f / 9));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.0f / 7));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.0f / 5));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.0f / 3));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.0f));
    return _mm256_mul_ps(_mm256_add_ps(z, z), p);
}

#endif /* GM_SIMD_MATH_H */
