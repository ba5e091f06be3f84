/* bind_optim.c - optim kernels. */
#include "bind_util.h"

PyMethodDef gm_optim_methods[] = {
    {NULL, NULL, 0, NULL},
};
