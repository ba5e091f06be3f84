/* checks.c - a fast NaN/Inf scan for the training loop's guard.
 *
 * A float is NaN or +-Inf exactly when its exponent bits are all ones, so
 * the scan is an integer mask-and-compare that vectorises without any
 * floating-point semantics (and keeps working under any FP flags). */
#include "gm.h"

#include <string.h>

#define SCAN_CHUNK 65536          /* floats per parallel task */
#define SCAN_PARALLEL_MIN 262144  /* below this one thread scans */
#define EXPONENT_MASK 0x7f800000u

/* x (n): nonzero if some element is not finite. */
static int chunk_has_nonfinite(const float *x, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bad |= (uint32_t)((bits & EXPONENT_MASK) == EXPONENT_MASK);
    }
    return bad != 0;
}

int gm_all_finite(const float *x, size_t n)
{
    // x (n)
    if (n == 0)
        return 1;
    if (!x)
        return 0;
    ptrdiff_t chunks = (ptrdiff_t)((n + SCAN_CHUNK - 1) / SCAN_CHUNK);
    int threads = n >= SCAN_PARALLEL_MIN ? gm_get_num_threads() : 1;
    int bad = 0;
    #pragma omp parallel for num_threads(threads) if (threads > 1) \
        schedule(static) reduction(|:bad)
    for (ptrdiff_t c = 0; c < chunks; c++) {
        size_t start = (size_t)c * SCAN_CHUNK;
        size_t len = n - start < SCAN_CHUNK ? n - start : SCAN_CHUNK;
        bad |= chunk_has_nonfinite(x + start, len);
    }
    return !bad;
}
