/* peak_probe.c - the machine's FP32 FMA throughput, measured, so benchmark
 * figures can be read as a fraction of peak. */
#include "gm.h"

#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* 12 independent accumulators hide the FMA latency on current cores. */
__attribute__((target("avx2,fma"), noinline))
static double fma_burst_avx2(long iterations)
{
    __m256 acc[12], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++)
        acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++)
            acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    __m256 sum = acc[0];
    for (int i = 1; i < 12; i++)
        sum = _mm256_add_ps(sum, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, sum);
    return out[0];   /* keeps the loop alive */
}
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double gm_fma_peak_gflops(double seconds, int threads)
{
#if defined(__x86_64__) || defined(__i386__)
    if (!(gm_cpu_features() & GM_CPU_AVX2_FMA))
        return 0.0;
    const long iterations = 1L << 20;   /* 12 * 8 * 2 * 2^20 flops */
    double best = 0.0, sink = 0.0;
    double start = now();
    while (now() - start < seconds) {
        double t0 = now();
        #pragma omp parallel num_threads(threads) reduction(+:sink)
        sink += fma_burst_avx2(iterations);
        double rate = threads * 12.0 * 8 * 2 * iterations / (now() - t0) / 1e9;
        best = rate > best ? rate : best;
    }
    return sink == -1.0 ? 0.0 : best;
#else
    (void)seconds, (void)threads;
    return 0.0;
#endif
}
