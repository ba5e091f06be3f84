/* bind_rng.c - rng kernels. */
#include "bind_util.h"

PyMethodDef gm_rng_methods[] = {
    {NULL, NULL, 0, NULL},
};
