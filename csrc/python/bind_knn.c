/* bind_knn.c - knn kernels. */
#include "bind_util.h"

PyMethodDef gm_knn_methods[] = {
    {NULL, NULL, 0, NULL},
};
