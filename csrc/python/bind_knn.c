/* bind_knn.c - k-nearest neighbours: exact search and the steps of the
 * approximate one (random-projection forest, NN-descent). */
#include "bind_util.h"

/* knn_exact(X, queries_or_None, k) -> (indices int64 (m, k), distances float32 (m, k));
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
    npy_intp shape[2] = {m, k}, ws_size = (npy_intp)gm_knn_exact_workspace_size(n, m, k);
    PyArrayObject *idx = (PyArrayObject *)PyArray_EMPTY(2, shape, NPY_INT64, 0);
    PyArrayObject *dist = gm_new_f32(2, shape, 0);
    PyArrayObject *ws = gm_new_f32(1, &ws_size, 0);
    PyObject *result = NULL;
    if (!idx || !dist || !ws)
        goto done;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_knn_exact_rows(PyArray_DATA(idx), PyArray_DATA(dist), PyArray_DATA(x), n, PyArray_DATA(q), m, d, k,
                          self_query ? 0 : -1, PyArray_DATA(ws));
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

/* knn_exact_workspace_size(n, m, k) -> floats */
static PyObject *py_knn_exact_workspace_size(PyObject *self, PyObject *args)
{
    Py_ssize_t n, m, k;
    if (!PyArg_ParseTuple(args, "nnn", &n, &m, &k))
        return NULL;
    if (n < 1 || m < 0 || k < 1) {
        PyErr_SetString(PyExc_ValueError, "knn_exact_workspace_size: need n >= 1, m >= 0, k >= 1");
        return NULL;
    }
    return PyLong_FromSize_t(gm_knn_exact_workspace_size(n, m, k));
}

/* knn_exact_rows(X (n, d), queries (m, d), self_offset, indices (m, k) out,
 *                distances (m, k) out, workspace float32): one block of
 * queries; self_offset >= 0 says query r is row self_offset + r of X. */
static PyObject *py_knn_exact_rows(PyObject *self, PyObject *args)
{
    const char *fn = "knn_exact_rows";
    PyObject *x_obj, *q_obj, *i_obj, *d_obj, *w_obj;
    Py_ssize_t self_offset;
    if (!PyArg_ParseTuple(args, "OOnOOO", &x_obj, &q_obj, &self_offset, &i_obj, &d_obj, &w_obj))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "X", NPY_FLOAT32, 2, 2);
    PyArrayObject *q = x ? gm_arg_array(q_obj, fn, "queries", NPY_FLOAT32, 2, 2) : NULL;
    PyArrayObject *idx = q ? gm_arg_array(i_obj, fn, "indices", NPY_INT64, 2, 2) : NULL;
    PyArrayObject *dist = idx ? gm_arg_array(d_obj, fn, "distances", NPY_FLOAT32, 2, 2) : NULL;
    PyArrayObject *ws = dist ? gm_arg_array(w_obj, fn, "workspace", NPY_FLOAT32, 1, 1) : NULL;
    if (!ws)
        return NULL;
    npy_intp n = PyArray_DIM(x, 0), d = PyArray_DIM(x, 1), m = PyArray_DIM(q, 0), k = PyArray_DIM(idx, 1);
    npy_intp q_shape[2] = {-1, d}, out_shape[2] = {m, k};
    if (gm_arg_shape(q, fn, "queries", 2, q_shape) || gm_arg_shape(idx, fn, "indices", 2, out_shape) ||
        gm_arg_shape(dist, fn, "distances", 2, out_shape) || gm_arg_writeable(idx, fn, "indices") ||
        gm_arg_writeable(dist, fn, "distances") || gm_arg_writeable(ws, fn, "workspace") ||
        gm_arg_no_overlap(idx, x, fn, "indices", "X") || gm_arg_no_overlap(idx, q, fn, "indices", "queries") ||
        gm_arg_no_overlap(dist, x, fn, "distances", "X") || gm_arg_no_overlap(dist, q, fn, "distances", "queries") ||
        gm_arg_no_overlap(idx, dist, fn, "indices", "distances") || gm_arg_no_overlap(ws, x, fn, "workspace", "X") ||
        gm_arg_no_overlap(ws, q, fn, "workspace", "queries") ||
        gm_arg_no_overlap(ws, idx, fn, "workspace", "indices") ||
        gm_arg_no_overlap(ws, dist, fn, "workspace", "distances") ||
        gm_arg_finite(x, fn, "X") || gm_arg_finite(q, fn, "queries"))
        return NULL;
    if (self_offset < -1 || (self_offset >= 0 && self_offset + m > n)) {
        PyErr_Format(PyExc_ValueError, "%s: 'self_offset' %zd does not fit %zd queries in %zd points", fn,
                     self_offset, (Py_ssize_t)m, (Py_ssize_t)n);
        return NULL;
    }
    npy_intp available = n - (self_offset >= 0 ? 1 : 0);
    if (k < 1 || k > available || d < 1 || n < 1) {
        PyErr_Format(PyExc_ValueError, "%s: 'n_neighbors' must be in [1, %zd] for %zd points, got %zd",
                     fn, (Py_ssize_t)available, (Py_ssize_t)n, (Py_ssize_t)k);
        return NULL;
    }
    if ((size_t)PyArray_DIM(ws, 0) < gm_knn_exact_workspace_size(n, m, k)) {
        PyErr_Format(PyExc_ValueError, "%s: 'workspace' needs %zu floats", fn, gm_knn_exact_workspace_size(n, m, k));
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_knn_exact_rows(PyArray_DATA(idx), PyArray_DATA(dist), PyArray_DATA(x), n, PyArray_DATA(q), m, d, k,
                          self_offset, PyArray_DATA(ws));
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* rp_forest(X (n, d), leaf_size, seed, first_tree, n_trees)
 *   -> (order int64 (n_trees, n), leaf_ptr int64 (n_trees, n + 1), n_leaves int64 (n_trees)) */
static PyObject *py_rp_forest(PyObject *self, PyObject *args)
{
    const char *fn = "rp_forest";
    PyObject *x_obj;
    Py_ssize_t leaf_size, first, n_trees;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OnKnn", &x_obj, &leaf_size, &seed, &first, &n_trees))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "X", NPY_FLOAT32, 2, 2);
    if (!x || gm_arg_finite(x, fn, "X"))
        return NULL;
    npy_intp n = PyArray_DIM(x, 0), d = PyArray_DIM(x, 1);
    if (n < 1 || d < 1 || leaf_size < 1 || first < 0 || n_trees < 1 || first + n_trees > (1 << 23)) {
        PyErr_Format(PyExc_ValueError, "%s: need points, features, leaf_size >= 1 and trees in [0, 2^23)", fn);
        return NULL;
    }
    npy_intp order_shape[2] = {n_trees, n}, ptr_shape[2] = {n_trees, n + 1};
    npy_intp ws_size = (npy_intp)gm_rp_forest_workspace_size(n, d, n_trees);
    PyArrayObject *order = (PyArrayObject *)PyArray_EMPTY(2, order_shape, NPY_INT64, 0);
    PyArrayObject *ptr = (PyArrayObject *)PyArray_EMPTY(2, ptr_shape, NPY_INT64, 0);
    PyArrayObject *leaves = (PyArrayObject *)PyArray_EMPTY(1, order_shape, NPY_INT64, 0);
    PyArrayObject *ws = gm_new_f32(1, &ws_size, 0);
    PyObject *result = NULL;
    if (!order || !ptr || !leaves || !ws)
        goto done;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rp_forest(PyArray_DATA(order), PyArray_DATA(ptr), PyArray_DATA(leaves), PyArray_DATA(x), n, d,
                     leaf_size, seed, first, n_trees, PyArray_DATA(ws));
    Py_END_ALLOW_THREADS
    if (s != GM_OK) {
        gm_raise_status(s, fn);
        goto done;
    }
    result = Py_BuildValue("OOO", order, ptr, leaves);
done:
    Py_XDECREF(order);
    Py_XDECREF(ptr);
    Py_XDECREF(leaves);
    Py_XDECREF(ws);
    return result;
}

/* The graph under construction: indices int64 (n, k), sqdist float32
 * (n, k), flags uint8 (n, k), all writeable and apart, over X (n, d). */
typedef struct {
    PyArrayObject *indices, *sqdist, *flags, *x;
    npy_intp n, k, d;
} graph_args;

static int parse_graph(graph_args *g, PyObject *i_obj, PyObject *s_obj, PyObject *f_obj, PyObject *x_obj,
                       const char *fn)
{
    g->indices = gm_arg_array(i_obj, fn, "indices", NPY_INT64, 2, 2);
    g->sqdist = g->indices ? gm_arg_array(s_obj, fn, "sqdist", NPY_FLOAT32, 2, 2) : NULL;
    g->flags = g->sqdist ? gm_arg_array(f_obj, fn, "flags", NPY_UINT8, 2, 2) : NULL;
    g->x = g->flags ? gm_arg_array(x_obj, fn, "X", NPY_FLOAT32, 2, 2) : NULL;
    if (!g->x)
        return -1;
    g->n = PyArray_DIM(g->indices, 0), g->k = PyArray_DIM(g->indices, 1), g->d = PyArray_DIM(g->x, 1);
    npy_intp shape[2] = {g->n, g->k}, x_shape[2] = {g->n, -1};
    if (gm_arg_shape(g->sqdist, fn, "sqdist", 2, shape) || gm_arg_shape(g->flags, fn, "flags", 2, shape) ||
        gm_arg_shape(g->x, fn, "X", 2, x_shape) || gm_arg_writeable(g->indices, fn, "indices") ||
        gm_arg_writeable(g->sqdist, fn, "sqdist") || gm_arg_writeable(g->flags, fn, "flags") ||
        gm_arg_no_overlap(g->indices, g->sqdist, fn, "indices", "sqdist") ||
        gm_arg_no_overlap(g->indices, g->flags, fn, "indices", "flags") ||
        gm_arg_no_overlap(g->sqdist, g->flags, fn, "sqdist", "flags") ||
        gm_arg_no_overlap(g->indices, g->x, fn, "indices", "X") ||
        gm_arg_no_overlap(g->sqdist, g->x, fn, "sqdist", "X") || gm_arg_no_overlap(g->flags, g->x, fn, "flags", "X") ||
        gm_arg_finite(g->x, fn, "X"))
        return -1;
    if (g->n < 2 || g->d < 1 || g->k < 1 || g->k >= g->n || g->n > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "%s: need 1 <= k < n points (< 2^31), got k=%zd, n=%zd", fn,
                     (Py_ssize_t)g->k, (Py_ssize_t)g->n);
        return -1;
    }
    return 0;
}

/* knn_graph_start(indices, sqdist, flags, X): every slot empty */
static PyObject *py_knn_graph_start(PyObject *self, PyObject *args)
{
    const char *fn = "knn_graph_start";
    PyObject *i_obj, *s_obj, *f_obj, *x_obj;
    graph_args g;
    if (!PyArg_ParseTuple(args, "OOOO", &i_obj, &s_obj, &f_obj, &x_obj) ||
        parse_graph(&g, i_obj, s_obj, f_obj, x_obj, fn))
        return NULL;
    gm_status s = gm_knn_graph_init(PyArray_DATA(g.indices), PyArray_DATA(g.sqdist), PyArray_DATA(g.flags), g.n, g.k);
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* knn_graph_add_leaves(indices, sqdist, flags, X, order (n), leaf_ptr (>= n_leaves + 1), n_leaves) */
static PyObject *py_knn_graph_add_leaves(PyObject *self, PyObject *args)
{
    const char *fn = "knn_graph_add_leaves";
    PyObject *i_obj, *s_obj, *f_obj, *x_obj, *o_obj, *p_obj;
    Py_ssize_t n_leaves;
    graph_args g;
    if (!PyArg_ParseTuple(args, "OOOOOOn", &i_obj, &s_obj, &f_obj, &x_obj, &o_obj, &p_obj, &n_leaves) ||
        parse_graph(&g, i_obj, s_obj, f_obj, x_obj, fn))
        return NULL;
    PyArrayObject *order = gm_arg_array(o_obj, fn, "order", NPY_INT64, 1, 1);
    PyArrayObject *ptr = order ? gm_arg_array(p_obj, fn, "leaf_ptr", NPY_INT64, 1, 1) : NULL;
    if (!ptr || gm_arg_shape(order, fn, "order", 1, &g.n))
        return NULL;
    if (n_leaves < 1 || n_leaves + 1 > PyArray_DIM(ptr, 0)) {
        PyErr_Format(PyExc_ValueError, "%s: 'n_leaves' must be in [1, len(leaf_ptr) - 1]", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_knn_graph_add_leaves(PyArray_DATA(g.indices), PyArray_DATA(g.sqdist), PyArray_DATA(g.flags),
                                PyArray_DATA(g.x), g.n, g.d, g.k, PyArray_DATA(order), PyArray_DATA(ptr), n_leaves);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_ARG) {
        PyErr_Format(PyExc_ValueError, "%s: 'order' and 'leaf_ptr' do not describe leaves of %zd points", fn,
                     (Py_ssize_t)g.n);
        return NULL;
    }
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* knn_graph_fill_random(indices, sqdist, flags, X, seed) */
static PyObject *py_knn_graph_fill_random(PyObject *self, PyObject *args)
{
    const char *fn = "knn_graph_fill_random";
    PyObject *i_obj, *s_obj, *f_obj, *x_obj;
    unsigned long long seed;
    graph_args g;
    if (!PyArg_ParseTuple(args, "OOOOK", &i_obj, &s_obj, &f_obj, &x_obj, &seed) ||
        parse_graph(&g, i_obj, s_obj, f_obj, x_obj, fn))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_knn_graph_fill_random(PyArray_DATA(g.indices), PyArray_DATA(g.sqdist), PyArray_DATA(g.flags),
                                 PyArray_DATA(g.x), g.n, g.d, g.k, seed);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* nn_descent_workspace_size(n, k, max_candidates) -> bytes */
static PyObject *py_nn_descent_workspace_size(PyObject *self, PyObject *args)
{
    Py_ssize_t n, k, c;
    if (!PyArg_ParseTuple(args, "nnn", &n, &k, &c))
        return NULL;
    if (n < 2 || k < 1 || c < 1) {
        PyErr_SetString(PyExc_ValueError, "nn_descent_workspace_size: need n >= 2, k >= 1, max_candidates >= 1");
        return NULL;
    }
    return PyLong_FromSize_t(gm_nn_descent_workspace_size(n, k, c));
}

/* nn_descent_iteration(indices, sqdist, flags, X, max_candidates, seed,
 *                      iteration, workspace uint8) -> number of updates */
static PyObject *py_nn_descent_iteration(PyObject *self, PyObject *args)
{
    const char *fn = "nn_descent_iteration";
    PyObject *i_obj, *s_obj, *f_obj, *x_obj, *w_obj;
    Py_ssize_t c;
    unsigned long long seed;
    long long iteration;
    graph_args g;
    if (!PyArg_ParseTuple(args, "OOOOnKLO", &i_obj, &s_obj, &f_obj, &x_obj, &c, &seed, &iteration, &w_obj) ||
        parse_graph(&g, i_obj, s_obj, f_obj, x_obj, fn))
        return NULL;
    PyArrayObject *ws = gm_arg_array(w_obj, fn, "workspace", NPY_UINT8, 1, 1);
    if (!ws || gm_arg_writeable(ws, fn, "workspace") || gm_arg_no_overlap(ws, g.indices, fn, "workspace", "indices") ||
        gm_arg_no_overlap(ws, g.sqdist, fn, "workspace", "sqdist") ||
        gm_arg_no_overlap(ws, g.flags, fn, "workspace", "flags") || gm_arg_no_overlap(ws, g.x, fn, "workspace", "X"))
        return NULL;
    if (c < 1 || iteration < 0) {
        PyErr_Format(PyExc_ValueError, "%s: need max_candidates >= 1 and iteration >= 0", fn);
        return NULL;
    }
    size_t need = gm_nn_descent_workspace_size(g.n, g.k, c);
    if ((size_t)PyArray_DIM(ws, 0) < need) {
        PyErr_Format(PyExc_ValueError, "%s: 'workspace' needs %zu bytes", fn, need);
        return NULL;
    }
    int64_t updates = 0;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_nn_descent_iteration(PyArray_DATA(g.indices), PyArray_DATA(g.sqdist), PyArray_DATA(g.flags),
                                PyArray_DATA(g.x), g.n, g.d, g.k, c, seed, iteration, PyArray_DATA(ws), &updates);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_ARG) {
        PyErr_Format(PyExc_ValueError, "%s: 'indices' hold entries outside [-1, %zd)", fn, (Py_ssize_t)g.n);
        return NULL;
    }
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    return PyLong_FromLongLong(updates);
}

/* knn_graph_finish(indices (n, k), distances (n, k) out, X (n, d)):
 * exact distances, rows sorted */
static PyObject *py_knn_graph_finish(PyObject *self, PyObject *args)
{
    const char *fn = "knn_graph_finish";
    PyObject *i_obj, *d_obj, *x_obj;
    if (!PyArg_ParseTuple(args, "OOO", &i_obj, &d_obj, &x_obj))
        return NULL;
    PyArrayObject *idx = gm_arg_array(i_obj, fn, "indices", NPY_INT64, 2, 2);
    PyArrayObject *dist = idx ? gm_arg_array(d_obj, fn, "distances", NPY_FLOAT32, 2, 2) : NULL;
    PyArrayObject *x = dist ? gm_arg_array(x_obj, fn, "X", NPY_FLOAT32, 2, 2) : NULL;
    if (!x)
        return NULL;
    npy_intp n = PyArray_DIM(idx, 0), k = PyArray_DIM(idx, 1), shape[2] = {n, k}, x_shape[2] = {n, -1};
    if (gm_arg_shape(dist, fn, "distances", 2, shape) || gm_arg_shape(x, fn, "X", 2, x_shape) ||
        gm_arg_writeable(idx, fn, "indices") || gm_arg_writeable(dist, fn, "distances") ||
        gm_arg_no_overlap(idx, dist, fn, "indices", "distances") || gm_arg_no_overlap(idx, x, fn, "indices", "X") ||
        gm_arg_no_overlap(dist, x, fn, "distances", "X") || gm_arg_finite(x, fn, "X"))
        return NULL;
    if (n < 1 || k < 1 || PyArray_DIM(x, 1) < 1) {
        PyErr_Format(PyExc_ValueError, "%s: empty graph", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_knn_graph_finish(PyArray_DATA(idx), PyArray_DATA(dist), PyArray_DATA(x), n, PyArray_DIM(x, 1), k);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_ARG) {
        PyErr_Format(PyExc_ValueError, "%s: 'indices' hold entries outside [0, %zd)", fn, (Py_ssize_t)n);
        return NULL;
    }
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

PyMethodDef gm_knn_methods[] = {
    {"knn_exact", py_knn_exact, METH_VARARGS,
     "knn_exact(X, queries_or_None, k) -> (indices, distances)"},
    {"knn_exact_workspace_size", py_knn_exact_workspace_size, METH_VARARGS,
     "knn_exact_workspace_size(n, m, k) -> floats"},
    {"knn_exact_rows", py_knn_exact_rows, METH_VARARGS,
     "knn_exact_rows(X, queries, self_offset, indices, distances, workspace)"},
    {"rp_forest", py_rp_forest, METH_VARARGS,
     "rp_forest(X, leaf_size, seed, first_tree, n_trees) -> (order, leaf_ptr, n_leaves)"},
    {"knn_graph_start", py_knn_graph_start, METH_VARARGS, "knn_graph_start(indices, sqdist, flags, X)"},
    {"knn_graph_add_leaves", py_knn_graph_add_leaves, METH_VARARGS,
     "knn_graph_add_leaves(indices, sqdist, flags, X, order, leaf_ptr, n_leaves)"},
    {"knn_graph_fill_random", py_knn_graph_fill_random, METH_VARARGS,
     "knn_graph_fill_random(indices, sqdist, flags, X, seed)"},
    {"nn_descent_workspace_size", py_nn_descent_workspace_size, METH_VARARGS,
     "nn_descent_workspace_size(n, k, max_candidates) -> bytes"},
    {"nn_descent_iteration", py_nn_descent_iteration, METH_VARARGS,
     "nn_descent_iteration(indices, sqdist, flags, X, max_candidates, seed, iteration, workspace) -> updates"},
    {"knn_graph_finish", py_knn_graph_finish, METH_VARARGS, "knn_graph_finish(indices, distances, X)"},
    {NULL, NULL, 0, NULL},
};
