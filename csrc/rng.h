/* rng.h - counter-based random numbers (Philox4x32-10).
 *
 * A value is a pure function of (seed, stream, position): no state, no
 * dependence on thread ids, so any slice of a fill can be computed by any
 * thread and every fill is identical whatever the thread count. Streams
 * separate the users of one seed (initialisation, shuffling, dropout, ...).
 * Position i of a stream is its i-th 32-bit value; Philox block b (counter
 * (b, stream), key seed) holds positions 4b .. 4b+3.
 *
 * Every fill below (permutations aside) draws element i from position
 * offset + i and from no other, so a fill of n values uses positions
 * offset .. offset+n-1 exactly:
 * the next fill on the stream starts at offset + n, and fill(n) at offset o
 * equals fill(k) at o followed by fill(n - k) at o + k, for every kind of
 * fill. Offsets with offset + n > 2^64 are rejected (GM_ERR_ARG).
 *
 *     float eps[128 * 20];                                   // (128, 20)
 *     gm_rng_normal(eps, 128 * 20, seed, 3, step * 128 * 20, 0.0f, 1.0f);
 */
#ifndef GM_RNG_H
#define GM_RNG_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Philox4x32-10 block function: key (2x32) and counter (4x32) in,
 * four 32-bit values out. */
void gm_philox4x32_10(const uint32_t key[2], const uint32_t counter[4],
                      uint32_t out[4]);

/* The index-th 32-bit value of (seed, stream). */
uint32_t gm_rng_u32_at(uint64_t seed, uint64_t stream, uint64_t index);

/* The same value mapped to a float in [0, 1): (u32 >> 8) * 2^-24. */
float gm_rng_uniform_at(uint64_t seed, uint64_t stream, uint64_t index);

/* out (n): the 32-bit values at positions offset .. offset+n-1, computed
 * whole Philox blocks at a time (AVX2 when available; same bits either
 * way). Serial and allocation-free, so kernels may call it on their own
 * slice from inside a parallel region. Positions wrap modulo 2^64. */
void gm_rng_u32_span(uint32_t *out, size_t n, uint64_t seed, uint64_t stream,
                     uint64_t offset);

/* out (n): uniform in [low, high): low + (high - low) * u computed in
 * double with u = (u32 >> 8) * 2^-24 (the value of gm_rng_uniform_at),
 * rounded to float and kept below high. low == high gives low.
 * GM_ERR_ARG unless low <= high, both finite. */
gm_status gm_rng_uniform(float *out, size_t n, uint64_t seed, uint64_t stream,
                         uint64_t offset, float low, float high);

/* out (n): normal N(mean, std^2) by inversion: element i is
 * mean + std * Phi^-1((u32 + 0.5) / 2^32) of position offset + i alone
 * (Wichura's AS241 in double precision: the float result is within one
 * ulp of the exact quantile). |z| <= Phi^-1(1 - 2^-33) = 6.34; a standard
 * normal exceeds that with probability 2.3e-10. AVX2 and portable paths
 * give the same bits.
 * GM_ERR_ARG unless mean is finite and 0 <= std < inf. */
gm_status gm_rng_normal(float *out, size_t n, uint64_t seed, uint64_t stream,
                        uint64_t offset, float mean, float std);

/* out (n): 1.0f with probability p[i] (p (n), or p_scalar when p is NULL),
 * else 0.0f: 1 iff u32 < p * 2^32, so P(1) is p to within 2^-32 and
 * p = 0 / p = 1 are exact. GM_ERR_ARG if a probability is NaN or outside
 * [0, 1] (out is then unspecified). */
gm_status gm_rng_bernoulli(float *out, size_t n, const float *p,
                           float p_scalar, uint64_t seed, uint64_t stream,
                           uint64_t offset);

/* out (n): a uniformly random permutation of 0 .. n-1 (Fisher-Yates from
 * the top, sequential). Its n - 1 swaps take one 64-bit draw each, made of
 * two 32-bit values: a permutation of n uses positions 2*offset ..
 * 2*(offset + n - 1) - 1, so `offset` counts draws and successive
 * shuffles of n items go at offsets 0, n, 2n, ... on a stream of their own.
 * GM_ERR_ARG if offset + n > 2^63. */
gm_status gm_rng_permutation(int64_t *out, size_t n, uint64_t seed,
                             uint64_t stream, uint64_t offset);

/* Checks (checks.c). x (n): 1 if no element is NaN or +-Inf, else 0. */
int gm_all_finite(const float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* GM_RNG_H */
