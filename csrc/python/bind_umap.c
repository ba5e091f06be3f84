/* bind_umap.c - UMAP layout epochs. */
#include "bind_util.h"

/* umap_optimize(head, tail_or_None, indptr, indices, epochs_per_sample,
 *               next_sample, next_negative, first_epoch, n_epochs,
 *               total_epochs, a, b, gamma, alpha, negative_sample_rate, seed) */
static PyObject *py_umap_optimize(PyObject *self, PyObject *args)
{
    const char *fn = "umap_optimize";
    PyObject *h_obj, *t_obj, *ip, *ix, *eps_obj, *ns_obj, *nn_obj;
    int first, n_epochs, total;
    float a, b, gamma, alpha, rate;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OOOOOOOiiifffffK", &h_obj, &t_obj, &ip, &ix, &eps_obj, &ns_obj, &nn_obj,
                          &first, &n_epochs, &total, &a, &b, &gamma, &alpha, &rate, &seed))
        return NULL;
    PyArrayObject *head = gm_arg_array(h_obj, fn, "head", NPY_FLOAT32, 2, 2);
    if (!head || gm_arg_writeable(head, fn, "head"))
        return NULL;
    PyArrayObject *tail = gm_arg_optional_array(t_obj, fn, "tail", NPY_FLOAT32, 2, 2);
    if (PyErr_Occurred())
        return NULL;
    npy_intp n = PyArray_DIM(head, 0), dim = PyArray_DIM(head, 1);
    if (tail && PyArray_DIM(tail, 1) != dim) {
        PyErr_Format(PyExc_ValueError, "%s: 'tail' must have %zd columns", fn, (Py_ssize_t)dim);
        return NULL;
    }
    PyArrayObject *indptr = gm_arg_array(ip, fn, "indptr", NPY_INT64, 1, 1);
    PyArrayObject *indices = indptr ? gm_arg_array(ix, fn, "indices", NPY_INT64, 1, 1) : NULL;
    PyArrayObject *eps = indices ? gm_arg_array(eps_obj, fn, "epochs_per_sample", NPY_FLOAT32, 1, 1) : NULL;
    PyArrayObject *ns = eps ? gm_arg_array(ns_obj, fn, "next_sample", NPY_FLOAT32, 1, 1) : NULL;
    PyArrayObject *nn = ns ? gm_arg_array(nn_obj, fn, "next_negative", NPY_FLOAT32, 1, 1) : NULL;
    if (!nn)
        return NULL;
    npy_intp want = n + 1, nnz = PyArray_DIM(indices, 0);
    if (gm_arg_shape(indptr, fn, "indptr", 1, &want) || gm_arg_shape(eps, fn, "epochs_per_sample", 1, &nnz) ||
        gm_arg_shape(ns, fn, "next_sample", 1, &nnz) || gm_arg_shape(nn, fn, "next_negative", 1, &nnz) ||
        gm_arg_writeable(ns, fn, "next_sample") || gm_arg_writeable(nn, fn, "next_negative"))
        return NULL;
    const int64_t *ptr = PyArray_DATA(indptr);
    if (ptr[0] != 0 || ptr[n] != nnz) {
        PyErr_Format(PyExc_ValueError, "%s: inconsistent CSR graph", fn);
        return NULL;
    }
    gm_umap_graph g = {n, tail ? PyArray_DIM(tail, 0) : n, ptr, PyArray_DATA(indices), PyArray_DATA(eps)};
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_umap_optimize(PyArray_DATA(head), tail ? PyArray_DATA(tail) : NULL, &g, PyArray_DATA(ns),
                         PyArray_DATA(nn), dim, first, n_epochs, total, a, b, gamma, alpha, rate, seed);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

PyMethodDef gm_umap_methods[] = {
    {"umap_optimize", py_umap_optimize, METH_VARARGS,
     "umap_optimize(head, tail, indptr, indices, epochs_per_sample, next_sample, next_negative, "
     "first_epoch, n_epochs, total_epochs, a, b, gamma, alpha, negative_sample_rate, seed)"},
    {NULL, NULL, 0, NULL},
};
