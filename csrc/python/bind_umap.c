/* bind_umap.c - umap kernels. */
#include "bind_util.h"

PyMethodDef gm_umap_methods[] = {
    {NULL, NULL, 0, NULL},
};
