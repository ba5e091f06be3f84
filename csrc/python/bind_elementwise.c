/* bind_elementwise.c - activations, bias add and bias gradient. In-place
 * use (out is x, or dx is dy) is allowed: the kernels are pointwise. */
#include "bind_util.h"

#define FUNC_ARGS PyObject *self, PyObject *args
#define F32 NPY_FLOAT32

static int parse_kind(int kind, const char *func)
{
    if (kind >= GM_ACT_RELU && kind <= GM_ACT_SOFTPLUS)
        return 0;
    PyErr_Format(PyExc_ValueError, "%s: unknown activation code %d", func, kind);
    return -1;
}

/* activation_forward(x, out, kind, alpha) */
static PyObject *py_activation_forward(FUNC_ARGS)
{
    const char *fn = "activation_forward";
    PyObject *x_obj, *out_obj;
    int kind;
    float alpha;
    if (!PyArg_ParseTuple(args, "OOif", &x_obj, &out_obj, &kind, &alpha))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "x", F32, 0, 32);
    PyArrayObject *out = x ? gm_arg_array(out_obj, fn, "out", F32, 0, 32) : NULL;
    if (!out || parse_kind(kind, fn) || gm_arg_same_shape(out, x, fn, "out") ||
        gm_arg_writeable(out, fn, "out"))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_activation_forward(PyArray_DATA(out), PyArray_DATA(x),
                              (size_t)PyArray_SIZE(x), (gm_activation)kind, alpha);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_INCREF(out);
    return (PyObject *)out;
}

/* activation_backward(grad_out, x_or_None, y_or_None, out, kind, alpha) */
static PyObject *py_activation_backward(FUNC_ARGS)
{
    const char *fn = "activation_backward";
    PyObject *dy_obj, *x_obj, *y_obj, *out_obj;
    int kind;
    float alpha;
    if (!PyArg_ParseTuple(args, "OOOOif", &dy_obj, &x_obj, &y_obj, &out_obj,
                          &kind, &alpha))
        return NULL;
    if (parse_kind(kind, fn))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 0, 32);
    if (!dy)
        return NULL;
    int needs_x = kind == GM_ACT_RELU || kind == GM_ACT_LEAKY_RELU || kind == GM_ACT_SOFTPLUS;
    const char *need = needs_x ? "x" : "y";
    PyArrayObject *saved = gm_arg_optional_array(needs_x ? x_obj : y_obj, fn, need, F32, 0, 32);
    if (!saved) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "%s: this activation needs '%s'", fn, need);
        return NULL;
    }
    PyArrayObject *out = gm_arg_array(out_obj, fn, "out", F32, 0, 32);
    if (!out || gm_arg_same_shape(saved, dy, fn, need) ||
        gm_arg_same_shape(out, dy, fn, "out") || gm_arg_writeable(out, fn, "out"))
        return NULL;
    const float *sp = PyArray_DATA(saved);
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_activation_backward(PyArray_DATA(out), PyArray_DATA(dy),
                               needs_x ? sp : NULL, needs_x ? NULL : sp,
                               (size_t)PyArray_SIZE(dy), (gm_activation)kind, alpha);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_INCREF(out);
    return (PyObject *)out;
}

/* bias_add(x, bias, out) with x (N, C, *spatial) */
static PyObject *py_bias_add(FUNC_ARGS)
{
    const char *fn = "bias_add";
    PyObject *x_obj, *b_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OOO", &x_obj, &b_obj, &out_obj))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "x", F32, 2, 32);
    PyArrayObject *b = x ? gm_arg_array(b_obj, fn, "bias", F32, 1, 1) : NULL;
    PyArrayObject *out = b ? gm_arg_array(out_obj, fn, "out", F32, 2, 32) : NULL;
    if (!out)
        return NULL;
    npy_intp c = PyArray_DIM(x, 1);
    if (gm_arg_shape(b, fn, "bias", 1, &c) || gm_arg_same_shape(out, x, fn, "out") ||
        gm_arg_writeable(out, fn, "out") || gm_arg_no_overlap(out, b, fn, "out", "bias"))
        return NULL;
    size_t n = (size_t)PyArray_DIM(x, 0), inner = gm_dims_product(x, 2);
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_bias_add(PyArray_DATA(out), PyArray_DATA(x), PyArray_DATA(b), n, (size_t)c, inner);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_INCREF(out);
    return (PyObject *)out;
}

/* bias_grad(grad_out, out, accumulate) */
static PyObject *py_bias_grad(FUNC_ARGS)
{
    const char *fn = "bias_grad";
    PyObject *dy_obj, *out_obj;
    int accumulate;
    if (!PyArg_ParseTuple(args, "OOp", &dy_obj, &out_obj, &accumulate))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 2, 32);
    PyArrayObject *out = dy ? gm_arg_array(out_obj, fn, "out", F32, 1, 1) : NULL;
    if (!out)
        return NULL;
    npy_intp c = PyArray_DIM(dy, 1);
    if (gm_arg_shape(out, fn, "out", 1, &c) || gm_arg_writeable(out, fn, "out") ||
        gm_arg_no_overlap(out, dy, fn, "out", "grad_out"))
        return NULL;
    size_t n = (size_t)PyArray_DIM(dy, 0), inner = gm_dims_product(dy, 2);
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_bias_grad(PyArray_DATA(out), PyArray_DATA(dy), n, (size_t)c, inner, accumulate);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_INCREF(out);
    return (PyObject *)out;
}

PyMethodDef gm_elementwise_methods[] = {
    {"activation_forward", py_activation_forward, METH_VARARGS,
     "activation_forward(x, out, kind, alpha) -> out"},
    {"activation_backward", py_activation_backward, METH_VARARGS,
     "activation_backward(grad_out, x, y, out, kind, alpha) -> out"},
    {"bias_add", py_bias_add, METH_VARARGS, "bias_add(x, bias, out) -> out"},
    {"bias_grad", py_bias_grad, METH_VARARGS,
     "bias_grad(grad_out, out, accumulate) -> out"},
    {NULL, NULL, 0, NULL},
};
