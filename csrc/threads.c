/* threads.c - the core's thread count, shared by every OpenMP region. */
#include "gm.h"

#include <stdatomic.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static atomic_int requested_threads = 0;   /* 0: the OpenMP default */

void gm_set_num_threads(int n)
{
    atomic_store(&requested_threads, n > 0 ? n : 0);
}

int gm_get_num_threads(void)
{
    int n = atomic_load(&requested_threads);
    if (n > 0)
        return n;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
