/* test_core.c - status strings, threads, CPU features. */
#include "../gm.h"
#include "check.h"

#include <string.h>

static void test_status_strings(void)
{
    CHECK(strcmp(gm_status_string(GM_OK), "ok") == 0);
    CHECK(strcmp(gm_status_string(GM_ERR_ARG), "invalid argument") == 0);
    CHECK(strcmp(gm_status_string((gm_status)42), "unknown status") == 0);
}

static void test_threads(void)
{
    int dflt = gm_get_num_threads();
    CHECK(dflt >= 1);
    gm_set_num_threads(3);
    CHECK(gm_get_num_threads() == 3);
    gm_set_num_threads(0);
    CHECK(gm_get_num_threads() == dflt);
}

static void test_cpu_mask(void)
{
    unsigned detected = gm_cpu_detected_features();
    CHECK(gm_cpu_features() == detected);
    gm_cpu_set_allowed(0);
    CHECK(gm_cpu_features() == 0);
    gm_cpu_set_allowed(~0u);
    CHECK(gm_cpu_features() == detected);
}

int main(void)
{
    RUN(test_status_strings);
    RUN(test_threads);
    RUN(test_cpu_mask);
    return check_summary();
}
