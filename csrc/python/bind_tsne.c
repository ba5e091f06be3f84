/* bind_tsne.c - t-SNE affinities and optimisation steps. */
#include "bind_util.h"

/* tsne_affinities(distances (n, k), perplexity) -> P (n, k) */
static PyObject *py_tsne_affinities(PyObject *self, PyObject *args)
{
    const char *fn = "tsne_affinities";
    PyObject *d_obj;
    float perplexity;
    if (!PyArg_ParseTuple(args, "Of", &d_obj, &perplexity))
        return NULL;
    PyArrayObject *d = gm_arg_array(d_obj, fn, "distances", NPY_FLOAT32, 2, 2);
    if (!d)
        return NULL;
    if (!(perplexity > 0)) {
        PyErr_Format(PyExc_ValueError, "%s: 'perplexity' must be > 0", fn);
        return NULL;
    }
    PyArrayObject *p = gm_new_f32(2, PyArray_DIMS(d), 0);
    if (!p)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_tsne_affinities(PyArray_DATA(p), PyArray_DATA(d), PyArray_DIM(d, 0), PyArray_DIM(d, 1), perplexity);
    Py_END_ALLOW_THREADS
    if (s != GM_OK) {
        Py_DECREF(p);
        return gm_raise_status(s, fn);
    }
    return (PyObject *)p;
}

/* Checks a CSR graph over n points: indptr int64 (n+1), indices int64, p float32 (nnz). */
static int parse_graph(gm_tsne_graph *g, PyObject *ip, PyObject *ix, PyObject *pv, npy_intp n, const char *fn)
{
    PyArrayObject *indptr = gm_arg_array(ip, fn, "indptr", NPY_INT64, 1, 1);
    PyArrayObject *indices = indptr ? gm_arg_array(ix, fn, "indices", NPY_INT64, 1, 1) : NULL;
    PyArrayObject *p = indices ? gm_arg_array(pv, fn, "p", NPY_FLOAT32, 1, 1) : NULL;
    if (!p)
        return -1;
    npy_intp want = n + 1;
    if (gm_arg_shape(indptr, fn, "indptr", 1, &want))
        return -1;
    const int64_t *ptr = PyArray_DATA(indptr);
    npy_intp nnz = PyArray_DIM(indices, 0);
    if (ptr[0] != 0 || ptr[n] != nnz || PyArray_DIM(p, 0) != nnz) {
        PyErr_Format(PyExc_ValueError, "%s: inconsistent CSR graph", fn);
        return -1;
    }
    *g = (gm_tsne_graph){n, ptr, PyArray_DATA(indices), PyArray_DATA(p)};
    return 0;
}

/* tsne_optimize(y, update, gains, indptr, indices, p, n_iter, exaggeration,
 *               momentum, learning_rate, theta, want_kl) -> kl or None */
static PyObject *py_tsne_optimize(PyObject *self, PyObject *args)
{
    const char *fn = "tsne_optimize";
    PyObject *y_obj, *u_obj, *g_obj, *ip, *ix, *pv;
    int n_iter, want_kl;
    float exaggeration, momentum, lr, theta;
    if (!PyArg_ParseTuple(args, "OOOOOOiffffp", &y_obj, &u_obj, &g_obj, &ip, &ix, &pv, &n_iter,
                          &exaggeration, &momentum, &lr, &theta, &want_kl))
        return NULL;
    PyArrayObject *y = gm_arg_array(y_obj, fn, "y", NPY_FLOAT32, 2, 2);
    if (!y)
        return NULL;
    npy_intp shape[2] = {PyArray_DIM(y, 0), 2};
    PyArrayObject *u = gm_arg_array(u_obj, fn, "update", NPY_FLOAT32, 2, 2);
    PyArrayObject *gains = u ? gm_arg_array(g_obj, fn, "gains", NPY_FLOAT32, 2, 2) : NULL;
    if (!gains || gm_arg_shape(y, fn, "y", 2, shape) || gm_arg_shape(u, fn, "update", 2, shape) ||
        gm_arg_shape(gains, fn, "gains", 2, shape) || gm_arg_writeable(y, fn, "y") ||
        gm_arg_writeable(u, fn, "update") || gm_arg_writeable(gains, fn, "gains"))
        return NULL;
    gm_tsne_graph g;
    if (parse_graph(&g, ip, ix, pv, shape[0], fn))
        return NULL;
    double kl = 0;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_tsne_optimize(PyArray_DATA(y), PyArray_DATA(u), PyArray_DATA(gains), &g, n_iter, exaggeration,
                         momentum, lr, theta, want_kl ? &kl : NULL);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    if (want_kl)
        return PyFloat_FromDouble(kl);
    Py_RETURN_NONE;
}

/* tsne_gradient_ref(y, indptr, indices, p, exaggeration) -> grad (n, 2) */
static PyObject *py_tsne_gradient_ref(PyObject *self, PyObject *args)
{
    const char *fn = "tsne_gradient_ref";
    PyObject *y_obj, *ip, *ix, *pv;
    float exaggeration;
    if (!PyArg_ParseTuple(args, "OOOOf", &y_obj, &ip, &ix, &pv, &exaggeration))
        return NULL;
    PyArrayObject *y = gm_arg_array(y_obj, fn, "y", NPY_FLOAT32, 2, 2);
    if (!y)
        return NULL;
    npy_intp shape[2] = {PyArray_DIM(y, 0), 2};
    gm_tsne_graph g;
    if (gm_arg_shape(y, fn, "y", 2, shape) || parse_graph(&g, ip, ix, pv, shape[0], fn))
        return NULL;
    PyArrayObject *grad = gm_new_f32(2, shape, 0);
    if (!grad)
        return NULL;
    gm_status s = gm_tsne_gradient_ref(PyArray_DATA(grad), PyArray_DATA(y), &g, exaggeration);
    if (s != GM_OK) {
        Py_DECREF(grad);
        return gm_raise_status(s, fn);
    }
    return (PyObject *)grad;
}

PyMethodDef gm_tsne_methods[] = {
    {"tsne_affinities", py_tsne_affinities, METH_VARARGS, "tsne_affinities(distances, perplexity) -> P"},
    {"tsne_optimize", py_tsne_optimize, METH_VARARGS,
     "tsne_optimize(y, update, gains, indptr, indices, p, n_iter, exaggeration, momentum, "
     "learning_rate, theta, want_kl) -> kl or None"},
    {"tsne_gradient_ref", py_tsne_gradient_ref, METH_VARARGS,
     "tsne_gradient_ref(y, indptr, indices, p, exaggeration) -> exact gradient"},
    {NULL, NULL, 0, NULL},
};
