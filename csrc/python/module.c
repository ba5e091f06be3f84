/* module.c - genmodels._core: joins the method tables of every area. */
#define GM_BIND_MODULE_MAIN
#include "bind_util.h"

static PyMethodDef *const area_tables[] = {
    gm_threads_methods, gm_gemm_methods,  gm_conv_methods,
    gm_elementwise_methods, gm_norm_methods, gm_losses_methods,
    gm_optim_methods,   gm_rng_methods,   gm_knn_methods,
    gm_tsne_methods,    gm_umap_methods,  gm_memory_methods,
};
#define N_AREAS (sizeof area_tables / sizeof area_tables[0])

static PyMethodDef *all_methods;   /* lives as long as the process */

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "_core",
    "The genmodels C core. Use the documented wrappers in genmodels.ops.",
    -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void)
{
    import_array();
    if (!all_methods) {
        size_t count = 0;
        for (size_t t = 0; t < N_AREAS; t++)
            for (PyMethodDef *m = area_tables[t]; m->ml_name; m++)
                count++;
        all_methods = PyMem_RawCalloc(count + 1, sizeof *all_methods);
        if (!all_methods)
            return PyErr_NoMemory();
        size_t i = 0;
        for (size_t t = 0; t < N_AREAS; t++)
            for (PyMethodDef *m = area_tables[t]; m->ml_name; m++)
                all_methods[i++] = *m;
    }
    core_module.m_methods = all_methods;
    return PyModule_Create(&core_module);
}
