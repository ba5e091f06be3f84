/* bind_conv.c - convolution and transposed convolution.
 *
 * Every function takes its geometry as (stride_h, stride_w, pad_h, pad_w)
 * (+ output padding for the transposed forward) and an optional workspace:
 * a 1-D float32 array of at least *_workspace_size floats, reused by the
 * caller across batches; without one a buffer is allocated for the call. */
#include "bind_util.h"

#define F32 NPY_FLOAT32

/* The workspace given (at least `least` floats), or a fresh one of
 * `wanted` floats in *owned; its length in *floats. NULL with an error set. */
static float *workspace_for(PyObject *obj, size_t least, size_t wanted, size_t *floats,
                            PyArrayObject **owned, const char *fn)
{
    *owned = NULL;
    if (obj == Py_None) {
        npy_intp size = (npy_intp)(wanted ? wanted : 1);
        *owned = gm_new_f32(1, &size, 0);
        *floats = (size_t)size;
        return *owned ? PyArray_DATA(*owned) : NULL;
    }
    PyArrayObject *ws = gm_arg_array(obj, fn, "workspace", F32, 1, 1);
    if (!ws || gm_arg_writeable(ws, fn, "workspace"))
        return NULL;
    if ((size_t)PyArray_DIM(ws, 0) < least) {
        PyErr_Format(PyExc_ValueError, "%s: 'workspace' has %zd floats, needs at least %zu "
                     "(%zu to use %d threads)", fn, (Py_ssize_t)PyArray_DIM(ws, 0), least, wanted,
                     gm_get_num_threads());
        return NULL;
    }
    *floats = (size_t)PyArray_DIM(ws, 0);
    return PyArray_DATA(ws);
}

/* Room for one thread at least; a fresh workspace has room for them all. */
static float *conv_workspace(PyObject *obj, const gm_conv2d_params *p, size_t *floats,
                             PyArrayObject **owned, const char *fn)
{
    return workspace_for(obj, gm_conv2d_workspace_size(p, 1),
                         gm_conv2d_workspace_size(p, gm_get_num_threads()), floats, owned, fn);
}

static float *transpose_workspace(PyObject *obj, const gm_conv_transpose2d_params *p,
                                  size_t *floats, PyArrayObject **owned, const char *fn)
{
    return workspace_for(obj, gm_conv_transpose2d_workspace_size(p, 1),
                         gm_conv_transpose2d_workspace_size(p, gm_get_num_threads()), floats, owned, fn);
}

static PyObject *finish(gm_status s, PyArrayObject *owned, const char *fn)
{
    Py_XDECREF(owned);
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* The weight's input channels must match x (N,C,H,W): weight is
 * (OC,C,KH,KW) for conv2d, (C,OC,KH,KW) when `transposed`. */
static int check_weight_channels(PyArrayObject *x, PyArrayObject *w,
                                 int transposed, const char *fn)
{
    npy_intp want[4] = {-1, PyArray_DIM(x, 1), -1, -1};
    if (transposed)
        want[0] = PyArray_DIM(x, 1), want[1] = -1;
    return gm_arg_shape(w, fn, "weight", 4, want);
}

static void conv_params(gm_conv2d_params *p, PyArrayObject *x, PyArrayObject *w,
                        const ptrdiff_t g[4])
{
    *p = (gm_conv2d_params){
        .n = PyArray_DIM(x, 0), .c = PyArray_DIM(x, 1), .h = PyArray_DIM(x, 2),
        .w = PyArray_DIM(x, 3), .oc = PyArray_DIM(w, 0), .kh = PyArray_DIM(w, 2),
        .kw = PyArray_DIM(w, 3), .stride_h = g[0], .stride_w = g[1],
        .pad_h = g[2], .pad_w = g[3]};
}

static int check_output(PyArrayObject *out, const char *fn, const char *name,
                        npy_intp n, npy_intp c, npy_intp h, npy_intp w)
{
    npy_intp want[4] = {n, c, h, w};
    return gm_arg_shape(out, fn, name, 4, want) || gm_arg_writeable(out, fn, name);
}

static PyObject *py_conv2d_forward(PyObject *self, PyObject *args)
{
    const char *fn = "conv2d_forward";
    PyObject *x_obj, *w_obj, *b_obj, *o_obj, *ws_obj;
    ptrdiff_t g[4];
    if (!PyArg_ParseTuple(args, "OOOOnnnnO", &x_obj, &w_obj, &b_obj, &o_obj, &g[0],
                          &g[1], &g[2], &g[3], &ws_obj))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "x", F32, 4, 4);
    PyArrayObject *w = x ? gm_arg_array(w_obj, fn, "weight", F32, 4, 4) : NULL;
    PyArrayObject *out = w ? gm_arg_array(o_obj, fn, "out", F32, 4, 4) : NULL;
    if (!out || check_weight_channels(x, w, 0, fn))
        return NULL;
    PyArrayObject *b = gm_arg_optional_array(b_obj, fn, "bias", F32, 1, 1);
    npy_intp oc = PyArray_DIM(w, 0);
    if (PyErr_Occurred() || (b && gm_arg_shape(b, fn, "bias", 1, &oc)))
        return NULL;
    gm_conv2d_params p;
    conv_params(&p, x, w, g);
    ptrdiff_t oh, ow;
    if (gm_conv2d_output_size(&p, &oh, &ow) != GM_OK) {
        PyErr_Format(PyExc_ValueError, "%s: a (%zd, %zd) kernel with padding (%zd, %zd) "
                     "does not fit 'x' of size (%zd, %zd), or stride/padding is invalid",
                     fn, p.kh, p.kw, p.pad_h, p.pad_w, p.h, p.w);
        return NULL;
    }
    if (check_output(out, fn, "out", p.n, p.oc, oh, ow) ||
        gm_arg_no_overlap(out, x, fn, "out", "x") || gm_arg_no_overlap(out, w, fn, "out", "weight"))
        return NULL;
    PyArrayObject *owned;
    size_t ws_floats;
    float *ws = conv_workspace(ws_obj, &p, &ws_floats, &owned, fn);
    if (!ws)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_conv2d_forward(PyArray_DATA(out), PyArray_DATA(x), PyArray_DATA(w),
                          b ? PyArray_DATA(b) : NULL, &p, ws, ws_floats);
    Py_END_ALLOW_THREADS
    return finish(s, owned, fn);
}

static PyObject *py_conv2d_backward_input(PyObject *self, PyObject *args)
{
    const char *fn = "conv2d_backward_input";
    PyObject *dy_obj, *w_obj, *o_obj, *ws_obj;
    ptrdiff_t g[4];
    if (!PyArg_ParseTuple(args, "OOOnnnnO", &dy_obj, &w_obj, &o_obj, &g[0], &g[1],
                          &g[2], &g[3], &ws_obj))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 4, 4);
    PyArrayObject *w = dy ? gm_arg_array(w_obj, fn, "weight", F32, 4, 4) : NULL;
    PyArrayObject *dx = w ? gm_arg_array(o_obj, fn, "out", F32, 4, 4) : NULL;
    if (!dx || check_weight_channels(dx, w, 0, fn))
        return NULL;
    gm_conv2d_params p;
    conv_params(&p, dx, w, g);
    ptrdiff_t oh, ow;
    if (gm_conv2d_output_size(&p, &oh, &ow) != GM_OK) {
        PyErr_Format(PyExc_ValueError, "%s: the kernel does not fit the input shape", fn);
        return NULL;
    }
    npy_intp want[4] = {p.n, p.oc, oh, ow};
    if (gm_arg_shape(dy, fn, "grad_out", 4, want) || gm_arg_writeable(dx, fn, "out") ||
        gm_arg_no_overlap(dx, dy, fn, "out", "grad_out") || gm_arg_no_overlap(dx, w, fn, "out", "weight"))
        return NULL;
    PyArrayObject *owned;
    size_t ws_floats;
    float *ws = conv_workspace(ws_obj, &p, &ws_floats, &owned, fn);
    if (!ws)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_conv2d_backward_input(PyArray_DATA(dx), PyArray_DATA(dy), PyArray_DATA(w), &p, ws, ws_floats);
    Py_END_ALLOW_THREADS
    return finish(s, owned, fn);
}

static PyObject *py_conv2d_backward_weight(PyObject *self, PyObject *args)
{
    const char *fn = "conv2d_backward_weight";
    PyObject *dy_obj, *x_obj, *dw_obj, *db_obj, *ws_obj;
    ptrdiff_t g[4];
    if (!PyArg_ParseTuple(args, "OOOOnnnnO", &dy_obj, &x_obj, &dw_obj, &db_obj, &g[0],
                          &g[1], &g[2], &g[3], &ws_obj))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 4, 4);
    PyArrayObject *x = dy ? gm_arg_array(x_obj, fn, "x", F32, 4, 4) : NULL;
    PyArrayObject *dw = x ? gm_arg_array(dw_obj, fn, "grad_weight", F32, 4, 4) : NULL;
    if (!dw || check_weight_channels(x, dw, 0, fn) || gm_arg_writeable(dw, fn, "grad_weight"))
        return NULL;
    PyArrayObject *db = gm_arg_optional_array(db_obj, fn, "grad_bias", F32, 1, 1);
    npy_intp oc = PyArray_DIM(dw, 0);
    if (PyErr_Occurred() || (db && (gm_arg_shape(db, fn, "grad_bias", 1, &oc) ||
                                    gm_arg_writeable(db, fn, "grad_bias"))))
        return NULL;
    gm_conv2d_params p;
    conv_params(&p, x, dw, g);
    ptrdiff_t oh, ow;
    if (gm_conv2d_output_size(&p, &oh, &ow) != GM_OK) {
        PyErr_Format(PyExc_ValueError, "%s: the kernel does not fit 'x'", fn);
        return NULL;
    }
    npy_intp want[4] = {p.n, p.oc, oh, ow};
    if (gm_arg_shape(dy, fn, "grad_out", 4, want))
        return NULL;
    PyArrayObject *owned;
    size_t ws_floats;
    float *ws = conv_workspace(ws_obj, &p, &ws_floats, &owned, fn);
    if (!ws)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_conv2d_backward_weight(PyArray_DATA(dw), db ? PyArray_DATA(db) : NULL,
                                  PyArray_DATA(dy), PyArray_DATA(x), &p, ws, ws_floats);
    Py_END_ALLOW_THREADS
    return finish(s, owned, fn);
}

/* Transposed convolution: the same three, with weight (IC, OC, KH, KW). */
static void transpose_params(gm_conv_transpose2d_params *p, PyArrayObject *x,
                             PyArrayObject *w, const ptrdiff_t g[6])
{
    *p = (gm_conv_transpose2d_params){
        .n = PyArray_DIM(x, 0), .ic = PyArray_DIM(x, 1), .h = PyArray_DIM(x, 2),
        .w = PyArray_DIM(x, 3), .oc = PyArray_DIM(w, 1), .kh = PyArray_DIM(w, 2),
        .kw = PyArray_DIM(w, 3), .stride_h = g[0], .stride_w = g[1],
        .pad_h = g[2], .pad_w = g[3], .output_pad_h = g[4], .output_pad_w = g[5]};
}

static int transpose_geometry(gm_conv_transpose2d_params *p, PyArrayObject *x,
                              PyArrayObject *w, const ptrdiff_t g[6],
                              const char *fn, ptrdiff_t *oh, ptrdiff_t *ow)
{
    if (check_weight_channels(x, w, 1, fn))
        return -1;
    transpose_params(p, x, w, g);
    if (gm_conv_transpose2d_output_size(p, oh, ow) != GM_OK) {
        PyErr_Format(PyExc_ValueError, "%s: invalid geometry: stride (%zd, %zd), padding "
                     "(%zd, %zd), output_padding (%zd, %zd) (must be < stride) for a "
                     "(%zd, %zd) kernel on a (%zd, %zd) input", fn, g[0], g[1], g[2],
                     g[3], g[4], g[5], p->kh, p->kw, p->h, p->w);
        return -1;
    }
    return 0;
}

static PyObject *py_conv_transpose2d_forward(PyObject *self, PyObject *args)
{
    const char *fn = "conv_transpose2d_forward";
    PyObject *x_obj, *w_obj, *b_obj, *o_obj, *ws_obj;
    ptrdiff_t g[6];
    if (!PyArg_ParseTuple(args, "OOOOnnnnnnO", &x_obj, &w_obj, &b_obj, &o_obj, &g[0],
                          &g[1], &g[2], &g[3], &g[4], &g[5], &ws_obj))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "x", F32, 4, 4);
    PyArrayObject *w = x ? gm_arg_array(w_obj, fn, "weight", F32, 4, 4) : NULL;
    PyArrayObject *out = w ? gm_arg_array(o_obj, fn, "out", F32, 4, 4) : NULL;
    gm_conv_transpose2d_params p;
    ptrdiff_t oh, ow;
    if (!out || transpose_geometry(&p, x, w, g, fn, &oh, &ow))
        return NULL;
    PyArrayObject *b = gm_arg_optional_array(b_obj, fn, "bias", F32, 1, 1);
    npy_intp oc = p.oc;
    if (PyErr_Occurred() || (b && gm_arg_shape(b, fn, "bias", 1, &oc)) ||
        check_output(out, fn, "out", p.n, p.oc, oh, ow) ||
        gm_arg_no_overlap(out, x, fn, "out", "x") || gm_arg_no_overlap(out, w, fn, "out", "weight"))
        return NULL;
    PyArrayObject *owned;
    size_t ws_floats;
    float *ws = transpose_workspace(ws_obj, &p, &ws_floats, &owned, fn);
    if (!ws)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_conv_transpose2d_forward(PyArray_DATA(out), PyArray_DATA(x), PyArray_DATA(w),
                                    b ? PyArray_DATA(b) : NULL, &p, ws, ws_floats);
    Py_END_ALLOW_THREADS
    return finish(s, owned, fn);
}

/* conv_transpose2d_backward_input(grad_out, weight, out, sh, sw, ph, pw, workspace) */
static PyObject *py_conv_transpose2d_backward_input(PyObject *self, PyObject *args)
{
    const char *fn = "conv_transpose2d_backward_input";
    PyObject *dy_obj, *w_obj, *o_obj, *ws_obj;
    ptrdiff_t g[6] = {0};
    if (!PyArg_ParseTuple(args, "OOOnnnnO", &dy_obj, &w_obj, &o_obj, &g[0], &g[1],
                          &g[2], &g[3], &ws_obj))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 4, 4);
    PyArrayObject *w = dy ? gm_arg_array(w_obj, fn, "weight", F32, 4, 4) : NULL;
    PyArrayObject *dx = w ? gm_arg_array(o_obj, fn, "out", F32, 4, 4) : NULL;
    if (!dx)
        return NULL;
    /* The output padding is whatever makes the shapes agree. */
    if (PyArray_DIM(dx, 2) >= 1 && PyArray_DIM(dx, 3) >= 1) {
        g[4] = PyArray_DIM(dy, 2) - ((PyArray_DIM(dx, 2) - 1) * g[0] - 2 * g[2] + PyArray_DIM(w, 2));
        g[5] = PyArray_DIM(dy, 3) - ((PyArray_DIM(dx, 3) - 1) * g[1] - 2 * g[3] + PyArray_DIM(w, 3));
    }
    gm_conv_transpose2d_params p;
    ptrdiff_t oh, ow;
    if (transpose_geometry(&p, dx, w, g, fn, &oh, &ow))
        return NULL;
    npy_intp want[4] = {p.n, p.oc, oh, ow};
    if (gm_arg_shape(dy, fn, "grad_out", 4, want) || gm_arg_writeable(dx, fn, "out") ||
        gm_arg_no_overlap(dx, dy, fn, "out", "grad_out"))
        return NULL;
    PyArrayObject *owned;
    size_t ws_floats;
    float *ws = transpose_workspace(ws_obj, &p, &ws_floats, &owned, fn);
    if (!ws)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_conv_transpose2d_backward_input(PyArray_DATA(dx), PyArray_DATA(dy), PyArray_DATA(w), &p, ws,
                                           ws_floats);
    Py_END_ALLOW_THREADS
    return finish(s, owned, fn);
}

/* conv_transpose2d_backward_weight(grad_out, x, grad_weight, grad_bias, sh, sw, ph, pw, workspace) */
static PyObject *py_conv_transpose2d_backward_weight(PyObject *self, PyObject *args)
{
    const char *fn = "conv_transpose2d_backward_weight";
    PyObject *dy_obj, *x_obj, *dw_obj, *db_obj, *ws_obj;
    ptrdiff_t g[6] = {0};
    if (!PyArg_ParseTuple(args, "OOOOnnnnO", &dy_obj, &x_obj, &dw_obj, &db_obj, &g[0],
                          &g[1], &g[2], &g[3], &ws_obj))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 4, 4);
    PyArrayObject *x = dy ? gm_arg_array(x_obj, fn, "x", F32, 4, 4) : NULL;
    PyArrayObject *dw = x ? gm_arg_array(dw_obj, fn, "grad_weight", F32, 4, 4) : NULL;
    if (!dw || gm_arg_writeable(dw, fn, "grad_weight"))
        return NULL;
    g[4] = PyArray_DIM(dy, 2) - ((PyArray_DIM(x, 2) - 1) * g[0] - 2 * g[2] + PyArray_DIM(dw, 2));
    g[5] = PyArray_DIM(dy, 3) - ((PyArray_DIM(x, 3) - 1) * g[1] - 2 * g[3] + PyArray_DIM(dw, 3));
    gm_conv_transpose2d_params p;
    ptrdiff_t oh, ow;
    if (transpose_geometry(&p, x, dw, g, fn, &oh, &ow))
        return NULL;
    npy_intp want[4] = {p.n, p.oc, oh, ow};
    PyArrayObject *db = gm_arg_optional_array(db_obj, fn, "grad_bias", F32, 1, 1);
    npy_intp oc = p.oc;
    if (PyErr_Occurred() || gm_arg_shape(dy, fn, "grad_out", 4, want) ||
        (db && (gm_arg_shape(db, fn, "grad_bias", 1, &oc) || gm_arg_writeable(db, fn, "grad_bias"))))
        return NULL;
    PyArrayObject *owned;
    size_t ws_floats;
    float *ws = transpose_workspace(ws_obj, &p, &ws_floats, &owned, fn);
    if (!ws)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_conv_transpose2d_backward_weight(PyArray_DATA(dw), db ? PyArray_DATA(db) : NULL,
                                            PyArray_DATA(dy), PyArray_DATA(x), &p, ws, ws_floats);
    Py_END_ALLOW_THREADS
    return finish(s, owned, fn);
}

/* conv2d_workspace_size(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, threads) */
static PyObject *py_conv2d_workspace_size(PyObject *self, PyObject *args)
{
    gm_conv2d_params p;
    int threads;
    if (!PyArg_ParseTuple(args, "nnnnnnnnnnni", &p.n, &p.c, &p.h, &p.w, &p.oc, &p.kh,
                          &p.kw, &p.stride_h, &p.stride_w, &p.pad_h, &p.pad_w, &threads))
        return NULL;
    return PyLong_FromSize_t(gm_conv2d_workspace_size(&p, threads));
}

/* conv_transpose2d_workspace_size(n, ic, h, w, oc, kh, kw, sh, sw, ph, pw, oph, opw, threads) */
static PyObject *py_conv_transpose2d_workspace_size(PyObject *self, PyObject *args)
{
    gm_conv_transpose2d_params p;
    int threads;
    if (!PyArg_ParseTuple(args, "nnnnnnnnnnnnni", &p.n, &p.ic, &p.h, &p.w, &p.oc, &p.kh,
                          &p.kw, &p.stride_h, &p.stride_w, &p.pad_h, &p.pad_w,
                          &p.output_pad_h, &p.output_pad_w, &threads))
        return NULL;
    return PyLong_FromSize_t(gm_conv_transpose2d_workspace_size(&p, threads));
}

PyMethodDef gm_conv_methods[] = {
    {"conv2d_forward", py_conv2d_forward, METH_VARARGS,
     "conv2d_forward(x, weight, bias, out, sh, sw, ph, pw, workspace)"},
    {"conv2d_backward_input", py_conv2d_backward_input, METH_VARARGS,
     "conv2d_backward_input(grad_out, weight, out, sh, sw, ph, pw, workspace)"},
    {"conv2d_backward_weight", py_conv2d_backward_weight, METH_VARARGS,
     "conv2d_backward_weight(grad_out, x, grad_weight, grad_bias, sh, sw, ph, pw, workspace)"},
    {"conv_transpose2d_forward", py_conv_transpose2d_forward, METH_VARARGS,
     "conv_transpose2d_forward(x, weight, bias, out, sh, sw, ph, pw, oph, opw, workspace)"},
    {"conv_transpose2d_backward_input", py_conv_transpose2d_backward_input, METH_VARARGS,
     "conv_transpose2d_backward_input(grad_out, weight, out, sh, sw, ph, pw, workspace)"},
    {"conv_transpose2d_backward_weight", py_conv_transpose2d_backward_weight, METH_VARARGS,
     "conv_transpose2d_backward_weight(grad_out, x, grad_weight, grad_bias, sh, sw, ph, pw, workspace)"},
    {"conv2d_workspace_size", py_conv2d_workspace_size, METH_VARARGS,
     "conv2d_workspace_size(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, threads) -> floats"},
    {"conv_transpose2d_workspace_size", py_conv_transpose2d_workspace_size, METH_VARARGS,
     "conv_transpose2d_workspace_size(n, ic, h, w, oc, kh, kw, sh, sw, ph, pw, oph, opw, threads) -> floats"},
    {NULL, NULL, 0, NULL},
};
