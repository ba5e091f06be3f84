/* bind_elementwise.c - elementwise kernels. */
#include "bind_util.h"

PyMethodDef gm_elementwise_methods[] = {
    {NULL, NULL, 0, NULL},
};
