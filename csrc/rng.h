/* rng.h - counter-based random numbers (Philox4x32-10).
 *
 * A value is a pure function of (seed, stream, index): no state, no
 * dependence on thread ids, so any slice of a fill can be computed by any
 * thread and every fill is identical whatever the thread count. Streams
 * separate the users of one seed (initialisation, shuffling, dropout, ...).
 * Index i of a stream is the i-th 32-bit value of that stream. */
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

/* The same value mapped to a float in [0, 1) (24 bits). */
float gm_rng_uniform_at(uint64_t seed, uint64_t stream, uint64_t index);

/* Fills: out[i] is drawn from position offset + i of (seed, stream), so a
 * fill of n values advances the offset by n and is the same on any number
 * of threads. A normal value at position p uses the 32-bit values 2p and
 * 2p + 1 of its stream (Box-Muller, cosine branch). */
gm_status gm_rng_uniform(float *out, size_t n, uint64_t seed, uint64_t stream,
                         uint64_t offset, float low, float high);
gm_status gm_rng_normal(float *out, size_t n, uint64_t seed, uint64_t stream,
                        uint64_t offset, float mean, float std);
/* out[i] = 1 with probability p[i] (or p_scalar when p is NULL), else 0. */
gm_status gm_rng_bernoulli(float *out, size_t n, const float *p,
                           float p_scalar, uint64_t seed, uint64_t stream,
                           uint64_t offset);
/* A uniformly random permutation of 0..n-1 (Fisher-Yates; position
 * offset + i drives the i-th swap). */
gm_status gm_rng_permutation(int64_t *out, size_t n, uint64_t seed,
                             uint64_t stream, uint64_t offset);

/* 1 if every x[i] is finite, else 0. */
int gm_all_finite(const float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* GM_RNG_H */
