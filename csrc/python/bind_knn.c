/* bind_knn.c - exact k-nearest neighbours. */
#include "bind_util.h"

/* knn_exact(data, queries_or_None, k) -> (indices int64 (m, k), distances float32 (m, k));
 * None for queries means the data itself, each point's own row excluded. */
static PyObject *py_knn_exact(PyObject *self, PyObject *args)
{
    const char *fn = "knn_exact";
    PyObject *x_obj, *q_obj;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "OOn", &x_obj, &q_obj, &k))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "X", NPY_FLOAT32, 2, 2);
    if (!x || gm_arg_finite(x, fn, "X"))
        return NULL;
    int self_query = q_obj == Py_None;
    PyArrayObject *q = self_query ? x : gm_arg_array(q_obj, fn, "queries", NPY_FLOAT32, 2, 2);
    if (!q || (!self_query && gm_arg_finite(q, fn, "queries")))
        return NULL;
    npy_intp n = PyArray_DIM(x, 0), m = PyArray_DIM(q, 0), d = PyArray_DIM(x, 1);
    if (PyArray_DIM(q, 1) != d) {
        PyErr_Format(PyExc_ValueError, "%s: 'queries' have %zd features, 'X' has %zd", fn,
                     (Py_ssize_t)PyArray_DIM(q, 1), (Py_ssize_t)d);
        return NULL;
    }
    npy_intp available = n - (self_query ? 1 : 0);
    if (k < 1 || k > available || d < 1) {
        PyErr_Format(PyExc_ValueError, "%s: 'n_neighbors' must be in [1, %zd] for %zd points, got %zd",
                     fn, (Py_ssize_t)available, (Py_ssize_t)n, k);
        return NULL;
    }
    npy_intp shape[2] = {m, k}, ws_size = (npy_intp)gm_knn_workspace_size(n, m);
    PyArrayObject *idx = (PyArrayObject *)PyArray_EMPTY(2, shape, NPY_INT64, 0);
    PyArrayObject *dist = gm_new_f32(2, shape, 0);
    PyArrayObject *ws = gm_new_f32(1, &ws_size, 0);
    PyObject *result = NULL;
    if (!idx || !dist || !ws)
        goto done;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_knn_exact(PyArray_DATA(idx), PyArray_DATA(dist), PyArray_DATA(x), n, PyArray_DATA(q), m, d, k,
                     self_query, PyArray_DATA(ws));
    Py_END_ALLOW_THREADS
    if (s != GM_OK) {
        gm_raise_status(s, fn);
        goto done;
    }
    result = Py_BuildValue("OO", idx, dist);
done:
    Py_XDECREF(idx);
    Py_XDECREF(dist);
    Py_XDECREF(ws);
    return result;
}

PyMethodDef gm_knn_methods[] = {
    {"knn_exact", py_knn_exact, METH_VARARGS,
     "knn_exact(X, queries_or_None, k) -> (indices, distances)"},
    {NULL, NULL, 0, NULL},
};
