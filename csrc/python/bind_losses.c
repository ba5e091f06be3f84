/* bind_losses.c - losses kernels. */
#include "bind_util.h"

PyMethodDef gm_losses_methods[] = {
    {NULL, NULL, 0, NULL},
};
