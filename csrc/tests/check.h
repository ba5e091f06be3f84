/* check.h - a minimal unit-test harness for the C core.
 *
 *     static void test_something(void) { CHECK(1 + 1 == 2); }
 *     int main(void) { RUN(test_something); return check_summary(); }
 */
#ifndef GM_CHECK_H
#define GM_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            check_passed++;                                                  \
        } else {                                                             \
            check_failed++;                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

/* |got - want| <= atol + rtol * |want| */
#define CHECK_CLOSE(got, want, atol, rtol)                                   \
    do {                                                                     \
        double g_ = (got), w_ = (want);                                      \
        if (fabs(g_ - w_) <= (atol) + (rtol) * fabs(w_)) {                   \
            check_passed++;                                                  \
        } else {                                                             \
            check_failed++;                                                  \
            fprintf(stderr, "%s:%d: %s = %.9g, expected %.9g\n", __FILE__,   \
                    __LINE__, #got, g_, w_);                                 \
        }                                                                    \
    } while (0)

#define RUN(test)                                                            \
    do {                                                                     \
        fprintf(stderr, "  %s\n", #test);                                    \
        test();                                                              \
    } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* Deterministic test data in [-1, 1). */
static inline void check_fill(float *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) * (1.0 / 8388608.0)) - 1.0f;
    }
}

#endif /* GM_CHECK_H */
