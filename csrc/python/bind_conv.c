/* bind_conv.c - conv kernels. */
#include "bind_util.h"

PyMethodDef gm_conv_methods[] = {
    {NULL, NULL, 0, NULL},
};
