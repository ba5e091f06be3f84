/* bind_tsne.c - tsne kernels. */
#include "bind_util.h"

PyMethodDef gm_tsne_methods[] = {
    {NULL, NULL, 0, NULL},
};
