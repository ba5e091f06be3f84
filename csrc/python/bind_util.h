/* bind_util.h - shared argument checking for the _core bindings.
 *
 * Every binding has one shape: parse, check, allocate outputs, release the
 * GIL, call pure C, map the status to an exception, clean up at one label.
 * Checks are strict: the public Python API converts array-likes once; here
 * nothing is converted silently. Messages name the function and argument:
 *   "gemm: 'b' has shape (512, 784), expected (784, 10)". */
#ifndef GM_BIND_UTIL_H
#define GM_BIND_UTIL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_22_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL gm_ARRAY_API
#ifndef GM_BIND_MODULE_MAIN
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "gm.h"

/* `obj` must be an ndarray of `dtype` (NPY_FLOAT32, NPY_INT64, ...),
 * C-contiguous, with ndim in [ndim_min, ndim_max]. Returns it (borrowed)
 * or NULL with TypeError/ValueError set. */
PyArrayObject *gm_arg_array(PyObject *obj, const char *func, const char *name,
                            int dtype, int ndim_min, int ndim_max);

/* The array's shape must equal `expected` (ndim entries; -1 = any).
 * Returns 0, or -1 with ValueError set. */
int gm_arg_shape(PyArrayObject *arr, const char *func, const char *name,
                 int ndim, const npy_intp *expected);

/* Output arrays must be writeable. */
int gm_arg_writeable(PyArrayObject *arr, const char *func, const char *name);

/* `out` must not share memory with `in` (unless the kernel allows it). */
int gm_arg_no_overlap(PyArrayObject *out, PyArrayObject *in, const char *func,
                      const char *out_name, const char *in_name);

/* Every element must be finite. Returns 0, or -1 with ValueError set. */
int gm_arg_finite(PyArrayObject *arr, const char *func, const char *name);

/* Like gm_arg_array, but Py_None gives NULL with no error set; check
 * PyErr_Occurred() to tell the two apart. */
PyArrayObject *gm_arg_optional_array(PyObject *obj, const char *func,
                                     const char *name, int dtype,
                                     int ndim_min, int ndim_max);

/* `arr` must have exactly the shape of `ref`. */
int gm_arg_same_shape(PyArrayObject *arr, PyArrayObject *ref, const char *func,
                      const char *name);

/* The product of the dimensions from `first_dim` on (1 if none). */
size_t gm_dims_product(PyArrayObject *arr, int first_dim);

/* A fresh C-contiguous float32 array of the given shape (zeroed if asked). */
PyArrayObject *gm_new_f32(int ndim, const npy_intp *shape, int zeroed);

/* Map a non-OK status to a Python exception; always returns NULL. */
PyObject *gm_raise_status(gm_status status, const char *func);

/* Method tables, one per area (bind_<area>.c), joined by module.c. Each is
 * terminated by a {NULL} sentinel. */
extern PyMethodDef gm_threads_methods[];
extern PyMethodDef gm_gemm_methods[];
extern PyMethodDef gm_conv_methods[];
extern PyMethodDef gm_elementwise_methods[];
extern PyMethodDef gm_norm_methods[];
extern PyMethodDef gm_losses_methods[];
extern PyMethodDef gm_optim_methods[];
extern PyMethodDef gm_rng_methods[];
extern PyMethodDef gm_knn_methods[];
extern PyMethodDef gm_tsne_methods[];
extern PyMethodDef gm_umap_methods[];
extern PyMethodDef gm_memory_methods[];

#endif /* GM_BIND_UTIL_H */
