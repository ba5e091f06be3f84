/* cpu_features.c - run-time CPU detection for kernel dispatch. */
#include "gm.h"

#include <stdatomic.h>

static atomic_uint allowed_features = ~0u;

unsigned gm_cpu_detected_features(void)
{
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        f |= GM_CPU_AVX2_FMA;
    if (__builtin_cpu_supports("avx512f"))
        f |= GM_CPU_AVX512F;
#endif
    return f;
}

unsigned gm_cpu_features(void)
{
    return gm_cpu_detected_features() & atomic_load(&allowed_features);
}

void gm_cpu_set_allowed(unsigned mask)
{
    atomic_store(&allowed_features, mask);
}
