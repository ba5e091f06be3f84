/* bind_norm.c - norm kernels. */
#include "bind_util.h"

PyMethodDef gm_norm_methods[] = {
    {NULL, NULL, 0, NULL},
};
