/* rng_philox.c - Philox4x32-10 (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC'11), addressed by (seed, stream, index).
 *
 * Block b of (seed, stream) is Philox(key = seed, counter = (b, stream));
 * it holds the 32-bit values at positions 4b .. 4b+3. */
#include "gm.h"

#include <string.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

void gm_philox4x32_10(const uint32_t key[2], const uint32_t counter[4],
                      uint32_t out[4])
{
    uint32_t k0 = key[0], k1 = key[1];
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mulhilo(PHILOX_M0, c0, &hi0);
        uint32_t lo1 = mulhilo(PHILOX_M1, c2, &hi1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static inline void philox_block(uint64_t seed, uint64_t stream, uint64_t block,
                                uint32_t out[4])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t counter[4] = {(uint32_t)block, (uint32_t)(block >> 32),
                                 (uint32_t)stream, (uint32_t)(stream >> 32)};
    gm_philox4x32_10(key, counter, out);
}

uint32_t gm_rng_u32_at(uint64_t seed, uint64_t stream, uint64_t index)
{
    uint32_t out[4];
    philox_block(seed, stream, index >> 2, out);
    return out[index & 3];
}

float gm_rng_uniform_at(uint64_t seed, uint64_t stream, uint64_t index)
{
    return (float)(gm_rng_u32_at(seed, stream, index) >> 8) * 0x1.0p-24f;
}

/* ---- Many blocks at once -------------------------------------------------
 * LANES consecutive blocks per call: a plain loop of single blocks, or
 * with AVX2 eight blocks per register (one 32-bit counter word of each
 * block per lane, two groups interleaved to hide the multiply latency).
 * Integer arithmetic only: both paths give the same bits. */
#define LANES 16
/* Below this many values a span's rest goes block by block. */
#define PARTIAL_GROUP_MIN 12

static void philox_lanes_portable(uint64_t seed, uint64_t stream,
                                  uint64_t first_block, uint32_t out[4 * LANES])
{
    for (int l = 0; l < LANES; l++)
        philox_block(seed, stream, (first_block + (uint64_t)l) & (UINT64_MAX >> 2),
                     out + 4 * l);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* (lo, hi) 32-bit halves of a * c for eight lanes. */
__attribute__((target("avx2"))) static inline void
mulhilo8(__m256i c, __m256i a, __m256i *lo, __m256i *hi)
{
    __m256i even = _mm256_mul_epu32(c, a);                          /* lanes 0,2,4,6 */
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(c, 32), a);    /* lanes 1,3,5,7 */
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

__attribute__((target("avx2"))) static inline void
philox_round8(__m256i c[4], __m256i k0, __m256i k1)
{
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi32((int)PHILOX_M1);
    __m256i lo0, hi0, lo1, hi1;
    mulhilo8(c[0], m0, &lo0, &hi0);
    mulhilo8(c[2], m1, &lo1, &hi1);
    __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), k0);
    __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), k1);
    c[0] = n0, c[1] = lo1, c[2] = n2, c[3] = lo0;
}

/* Eight blocks' words c[0..3] to out as block after block (a 4x8 transpose). */
__attribute__((target("avx2"))) static inline void
store_blocks8(const __m256i c[4], uint32_t *out)
{
    __m256i t0 = _mm256_unpacklo_epi32(c[0], c[1]), t1 = _mm256_unpackhi_epi32(c[0], c[1]);
    __m256i t2 = _mm256_unpacklo_epi32(c[2], c[3]), t3 = _mm256_unpackhi_epi32(c[2], c[3]);
    __m256i b04 = _mm256_unpacklo_epi64(t0, t2), b15 = _mm256_unpackhi_epi64(t0, t2);
    __m256i b26 = _mm256_unpacklo_epi64(t1, t3), b37 = _mm256_unpackhi_epi64(t1, t3);
    _mm256_storeu_si256((__m256i *)(out + 0), _mm256_permute2x128_si256(b04, b15, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 8), _mm256_permute2x128_si256(b26, b37, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 16), _mm256_permute2x128_si256(b04, b15, 0x31));
    _mm256_storeu_si256((__m256i *)(out + 24), _mm256_permute2x128_si256(b26, b37, 0x31));
}

__attribute__((target("avx2"))) static void
philox_lanes_avx2(uint64_t seed, uint64_t stream, uint64_t first_block,
                  uint32_t out[4 * LANES])
{
    uint32_t lo[LANES], hi[LANES];
    for (int l = 0; l < LANES; l++) {
        /* positions wrap modulo 2^64, so blocks wrap modulo 2^62 */
        uint64_t block = (first_block + (uint64_t)l) & (UINT64_MAX >> 2);
        lo[l] = (uint32_t)block, hi[l] = (uint32_t)(block >> 32);
    }
    const __m256i s0 = _mm256_set1_epi32((int)(uint32_t)stream);
    const __m256i s1 = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
    __m256i a[4] = {_mm256_loadu_si256((const __m256i *)lo),
                    _mm256_loadu_si256((const __m256i *)hi), s0, s1};
    __m256i b[4] = {_mm256_loadu_si256((const __m256i *)(lo + 8)),
                    _mm256_loadu_si256((const __m256i *)(hi + 8)), s0, s1};
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        __m256i vk0 = _mm256_set1_epi32((int)k0), vk1 = _mm256_set1_epi32((int)k1);
        philox_round8(a, vk0, vk1);
        philox_round8(b, vk0, vk1);
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    store_blocks8(a, out);
    store_blocks8(b, out + 32);
}
#endif

typedef void (*philox_lanes_fn)(uint64_t, uint64_t, uint64_t, uint32_t *);

static philox_lanes_fn philox_lanes_select(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        return philox_lanes_avx2;
#endif
    return philox_lanes_portable;
}

void gm_rng_u32_span(uint32_t *out, size_t n, uint64_t seed, uint64_t stream,
                     uint64_t offset)
{
    if (n == 0)
        return;
    philox_lanes_fn lanes = philox_lanes_select();
    uint32_t block[4];
    uint64_t pos = offset;
    size_t i = 0;
    /* a partial first block */
    if (pos & 3) {
        philox_block(seed, stream, pos >> 2, block);
        for (; i < n && (pos & 3); i++, pos++)
            out[i] = block[pos & 3];
    }
    /* whole groups of LANES blocks straight into out */
    for (; n - i >= 4 * LANES; i += 4 * LANES, pos += 4 * LANES)
        lanes(seed, stream, pos >> 2, out + i);
    /* a short span's rest: one group computed whole (vector lanes beat a
     * few scalar blocks) and the part needed copied */
    if (n - i >= PARTIAL_GROUP_MIN && lanes != philox_lanes_portable) {
        uint32_t group[4 * LANES];
        lanes(seed, stream, pos >> 2, group);
        memcpy(out + i, group, sizeof(uint32_t) * (n - i));
        return;
    }
    /* whole blocks, then a partial last one */
    for (; n - i >= 4; i += 4, pos += 4) {
        philox_block(seed, stream, pos >> 2, block);
        out[i] = block[0], out[i + 1] = block[1];
        out[i + 2] = block[2], out[i + 3] = block[3];
    }
    if (i < n) {
        philox_block(seed, stream, pos >> 2, block);
        for (int k = 0; i < n; i++, k++)
            out[i] = block[k];
    }
}
