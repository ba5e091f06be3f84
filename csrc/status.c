/* status.c - human-readable gm_status values. */
#include "gm.h"

const char *gm_status_string(gm_status status)
{
    switch (status) {
    case GM_OK: return "ok";
    case GM_ERR_ARG: return "invalid argument";
    case GM_ERR_NOMEM: return "out of memory";
    case GM_ERR_NONFINITE: return "non-finite value (NaN or Inf)";
    case GM_ERR_INTERRUPTED: return "interrupted";
    case GM_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
