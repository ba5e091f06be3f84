/* bind_umap.c - UMAP: smooth kNN memberships and their fuzzy union,
 * sparse products of the spectral initialisation, layout epochs. */
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

/* umap_smooth_knn(distances (n, m), target, n_iter, local_connectivity 0 or 1)
 *   -> (weights (n, m), rho (n), sigma (n)) */
static PyObject *py_umap_smooth_knn(PyObject *self, PyObject *args)
{
    const char *fn = "umap_smooth_knn";
    PyObject *d_obj;
    float target;
    int n_iter, local;
    if (!PyArg_ParseTuple(args, "Ofii", &d_obj, &target, &n_iter, &local))
        return NULL;
    PyArrayObject *d = gm_arg_array(d_obj, fn, "distances", NPY_FLOAT32, 2, 2);
    if (!d || gm_arg_finite(d, fn, "distances"))
        return NULL;
    npy_intp n = PyArray_DIM(d, 0), m = PyArray_DIM(d, 1);
    if (m < 1 || !(target > 0) || n_iter < 1 || local < 0 || local > 1) {
        PyErr_Format(PyExc_ValueError,
                     "%s: need at least one neighbour, target > 0, n_iter >= 1 and local_connectivity 0 or 1", fn);
        return NULL;
    }
    PyArrayObject *w = gm_new_f32(2, PyArray_DIMS(d), 0);
    PyArrayObject *rho = gm_new_f32(1, &n, 0);
    PyArrayObject *sigma = gm_new_f32(1, &n, 0);
    PyObject *result = NULL;
    if (!w || !rho || !sigma)
        goto done;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_umap_smooth_knn(PyArray_DATA(w), PyArray_DATA(rho), PyArray_DATA(sigma), PyArray_DATA(d), n, m, target,
                           n_iter, local);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_NONFINITE) {
        PyErr_Format(PyExc_ValueError, "%s: 'distances' must be finite and >= 0", fn);
        goto done;
    }
    if (s != GM_OK) {
        gm_raise_status(s, fn);
        goto done;
    }
    result = Py_BuildValue("OOO", w, rho, sigma);
done:
    Py_XDECREF(w);
    Py_XDECREF(rho);
    Py_XDECREF(sigma);
    return result;
}

/* umap_fuzzy_union(indices int64 (n, m), weights float64 (n, m))
 *   -> (indptr (n + 1), indices (nnz), values float64 (nnz)) of w + w^T - w * w^T */
static PyObject *py_umap_fuzzy_union(PyObject *self, PyObject *args)
{
    const char *fn = "umap_fuzzy_union";
    PyObject *i_obj, *w_obj;
    if (!PyArg_ParseTuple(args, "OO", &i_obj, &w_obj))
        return NULL;
    PyArrayObject *idx = gm_arg_array(i_obj, fn, "indices", NPY_INT64, 2, 2);
    PyArrayObject *w = idx ? gm_arg_array(w_obj, fn, "weights", NPY_FLOAT64, 2, 2) : NULL;
    if (!w || gm_arg_same_shape(w, idx, fn, "weights"))
        return NULL;
    npy_intp n = PyArray_DIM(idx, 0), m = PyArray_DIM(idx, 1), n1 = n + 1;
    npy_intp ws_size = (npy_intp)gm_umap_fuzzy_union_workspace_size(n, m);
    PyArrayObject *indptr = (PyArrayObject *)PyArray_EMPTY(1, &n1, NPY_INT64, 0);
    PyArrayObject *ws = (PyArrayObject *)PyArray_EMPTY(1, &ws_size, NPY_UINT8, 0);
    PyArrayObject *cols = NULL, *vals = NULL;
    PyObject *result = NULL;
    if (!indptr || !ws)
        goto done;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_umap_fuzzy_union_count(PyArray_DATA(indptr), PyArray_DATA(ws), PyArray_DATA(idx), PyArray_DATA(w), n,
                                  m);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_ARG) {
        PyErr_Format(PyExc_ValueError, "%s: 'indices' must be in [0, %zd)", fn, (Py_ssize_t)n);
        goto done;
    }
    if (s == GM_ERR_NONFINITE) {
        PyErr_Format(PyExc_ValueError, "%s: 'weights' must be finite", fn);
        goto done;
    }
    if (s != GM_OK) {
        gm_raise_status(s, fn);
        goto done;
    }
    npy_intp nnz = ((const int64_t *)PyArray_DATA(indptr))[n];
    cols = (PyArrayObject *)PyArray_EMPTY(1, &nnz, NPY_INT64, 0);
    vals = (PyArrayObject *)PyArray_EMPTY(1, &nnz, NPY_FLOAT64, 0);
    if (!cols || !vals)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    s = gm_umap_fuzzy_union_fill(PyArray_DATA(cols), PyArray_DATA(vals), PyArray_DATA(indptr), PyArray_DATA(ws), n,
                                 m);
    Py_END_ALLOW_THREADS
    if (s != GM_OK) {
        gm_raise_status(s, fn);
        goto done;
    }
    result = Py_BuildValue("OOO", indptr, cols, vals);
done:
    Py_XDECREF(indptr);
    Py_XDECREF(ws);
    Py_XDECREF(cols);
    Py_XDECREF(vals);
    return result;
}

/* csr_chebyshev_step(indptr (n + 1), indices int32, values float64, y1 (n, k), y0 (n, k) or None, scale, shift)
 *   -> scale * (A @ y1 - shift * y1) - y0 */
static PyObject *py_csr_chebyshev_step(PyObject *self, PyObject *args)
{
    const char *fn = "csr_chebyshev_step";
    PyObject *ip, *ix, *vo, *y1o, *y0o;
    double scale, shift;
    if (!PyArg_ParseTuple(args, "OOOOOdd", &ip, &ix, &vo, &y1o, &y0o, &scale, &shift))
        return NULL;
    PyArrayObject *indptr = gm_arg_array(ip, fn, "indptr", NPY_INT64, 1, 1);
    PyArrayObject *indices = indptr ? gm_arg_array(ix, fn, "indices", NPY_INT32, 1, 1) : NULL;
    PyArrayObject *values = indices ? gm_arg_array(vo, fn, "values", NPY_FLOAT64, 1, 1) : NULL;
    PyArrayObject *y1 = values ? gm_arg_array(y1o, fn, "y1", NPY_FLOAT64, 2, 2) : NULL;
    if (!y1)
        return NULL;
    PyArrayObject *y0 = gm_arg_optional_array(y0o, fn, "y0", NPY_FLOAT64, 2, 2);
    if (PyErr_Occurred())
        return NULL;
    npy_intp n = PyArray_DIM(indptr, 0) - 1, nnz = PyArray_DIM(indices, 0), cols = PyArray_DIM(y1, 1);
    npy_intp shape[2] = {n, cols};
    if (n < 0 || n > INT32_MAX || cols < 1) {
        PyErr_Format(PyExc_ValueError, "%s: 'indptr' must have 1 to 2^31 entries and 'y1' needs columns", fn);
        return NULL;
    }
    if (gm_arg_shape(values, fn, "values", 1, &nnz) || gm_arg_shape(y1, fn, "y1", 2, shape) ||
        (y0 && gm_arg_shape(y0, fn, "y0", 2, shape)))
        return NULL;
    const int64_t *ptr = PyArray_DATA(indptr);
    if (ptr[0] != 0 || ptr[n] != nnz) {
        PyErr_Format(PyExc_ValueError, "%s: inconsistent CSR matrix", fn);
        return NULL;
    }
    PyArrayObject *out = (PyArrayObject *)PyArray_EMPTY(2, shape, NPY_FLOAT64, 0);
    if (!out)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_csr_chebyshev_step(PyArray_DATA(out), ptr, PyArray_DATA(indices), PyArray_DATA(values), n,
                              PyArray_DATA(y1), y0 ? PyArray_DATA(y0) : NULL, cols, scale, shift);
    Py_END_ALLOW_THREADS
    if (s != GM_OK) {
        Py_DECREF(out);
        if (s == GM_ERR_ARG) {
            PyErr_Format(PyExc_ValueError, "%s: inconsistent CSR matrix (decreasing 'indptr' or 'indices' outside "
                         "[0, %zd))", fn, (Py_ssize_t)n);
            return NULL;
        }
        return gm_raise_status(s, fn);
    }
    return (PyObject *)out;
}

/* umap_pow(x float32 (n), b) -> x ** b as the layout computes it */
static PyObject *py_umap_pow(PyObject *self, PyObject *args)
{
    const char *fn = "umap_pow";
    PyObject *x_obj;
    float b;
    if (!PyArg_ParseTuple(args, "Of", &x_obj, &b))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "x", NPY_FLOAT32, 1, 1);
    if (!x)
        return NULL;
    npy_intp n = PyArray_DIM(x, 0);
    PyArrayObject *out = gm_new_f32(1, &n, 0);
    if (!out)
        return NULL;
    gm_umap_pow(PyArray_DATA(out), PyArray_DATA(x), n, b);
    return (PyObject *)out;
}

PyMethodDef gm_umap_methods[] = {
    {"umap_smooth_knn", py_umap_smooth_knn, METH_VARARGS,
     "umap_smooth_knn(distances, target, n_iter, local_connectivity) -> (weights, rho, sigma)"},
    {"umap_fuzzy_union", py_umap_fuzzy_union, METH_VARARGS,
     "umap_fuzzy_union(indices, weights) -> (indptr, indices, values) of w + w^T - w * w^T"},
    {"csr_chebyshev_step", py_csr_chebyshev_step, METH_VARARGS,
     "csr_chebyshev_step(indptr, indices, values, y1, y0_or_None, scale, shift) -> scale * (A y1 - shift y1) - y0"},
    {"umap_pow", py_umap_pow, METH_VARARGS, "umap_pow(x, b) -> x ** b (the layout's approximation)"},
    {"umap_optimize", py_umap_optimize, METH_VARARGS,
     "umap_optimize(head, tail, indptr, indices, epochs_per_sample, next_sample, next_negative, "
     "first_epoch, n_epochs, total_epochs, a, b, gamma, alpha, negative_sample_rate, seed)"},
    {NULL, NULL, 0, NULL},
};
