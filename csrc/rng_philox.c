/* rng_philox.c - Philox4x32-10 (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC'11), addressed by (seed, stream, index). */
#include "gm.h"

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

uint32_t gm_rng_u32_at(uint64_t seed, uint64_t stream, uint64_t index)
{
    /* Four values per block: the counter holds (block, stream). */
    uint64_t block = index >> 2;
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t counter[4] = {(uint32_t)block, (uint32_t)(block >> 32),
                                 (uint32_t)stream, (uint32_t)(stream >> 32)};
    uint32_t out[4];
    gm_philox4x32_10(key, counter, out);
    return out[index & 3];
}

float gm_rng_uniform_at(uint64_t seed, uint64_t stream, uint64_t index)
{
    return (float)(gm_rng_u32_at(seed, stream, index) >> 8) * 0x1.0p-24f;
}
