/* bind_norm.c - batch normalisation. */
#include "bind_util.h"

#define F32 NPY_FLOAT32

/* Checks a (C,) float32 array; returns its data or NULL with an error. */
static float *channel_vector(PyObject *obj, npy_intp c, const char *fn,
                             const char *name, int writeable)
{
    PyArrayObject *a = gm_arg_array(obj, fn, name, F32, 1, 1);
    if (!a || gm_arg_shape(a, fn, name, 1, &c) ||
        (writeable && gm_arg_writeable(a, fn, name)))
        return NULL;
    return PyArray_DATA(a);
}

/* batchnorm_forward(x, gamma, beta, running_mean, running_var, out,
 *                   save_mean, save_invstd, training, momentum, eps) */
static PyObject *py_batchnorm_forward(PyObject *self, PyObject *args)
{
    const char *fn = "batchnorm_forward";
    PyObject *x_obj, *g_obj, *b_obj, *rm_obj, *rv_obj, *out_obj, *sm_obj, *si_obj;
    int training;
    float momentum, eps;
    if (!PyArg_ParseTuple(args, "OOOOOOOOpff", &x_obj, &g_obj, &b_obj, &rm_obj,
                          &rv_obj, &out_obj, &sm_obj, &si_obj, &training,
                          &momentum, &eps))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "x", F32, 2, 4);
    PyArrayObject *out = x ? gm_arg_array(out_obj, fn, "out", F32, 2, 4) : NULL;
    if (!out || gm_arg_same_shape(out, x, fn, "out") || gm_arg_writeable(out, fn, "out") ||
        gm_arg_no_overlap(out, x, fn, "out", "x"))
        return NULL;
    npy_intp c = PyArray_DIM(x, 1);
    float *gamma, *beta, *rmean, *rvar, *smean, *sinv;
    if (!(gamma = channel_vector(g_obj, c, fn, "gamma", 0)) ||
        !(beta = channel_vector(b_obj, c, fn, "beta", 0)) ||
        !(rmean = channel_vector(rm_obj, c, fn, "running_mean", 1)) ||
        !(rvar = channel_vector(rv_obj, c, fn, "running_var", 1)) ||
        !(smean = channel_vector(sm_obj, c, fn, "save_mean", 1)) ||
        !(sinv = channel_vector(si_obj, c, fn, "save_invstd", 1)))
        return NULL;
    size_t n = (size_t)PyArray_DIM(x, 0), inner = gm_dims_product(x, 2);
    if (training && n * inner < 2 && c > 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s: training needs more than one value per channel, got "
                     "'x' with %zu", fn, n * inner);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_batchnorm_forward(PyArray_DATA(out), smean, sinv, PyArray_DATA(x),
                             gamma, beta, rmean, rvar, n, (size_t)c, inner,
                             training, momentum, eps);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* batchnorm_backward(grad_out, x, gamma, save_mean, save_invstd, out,
 *                    grad_gamma, grad_beta, training) */
static PyObject *py_batchnorm_backward(PyObject *self, PyObject *args)
{
    const char *fn = "batchnorm_backward";
    PyObject *dy_obj, *x_obj, *g_obj, *sm_obj, *si_obj, *out_obj, *dg_obj, *db_obj;
    int training;
    if (!PyArg_ParseTuple(args, "OOOOOOOOp", &dy_obj, &x_obj, &g_obj, &sm_obj,
                          &si_obj, &out_obj, &dg_obj, &db_obj, &training))
        return NULL;
    PyArrayObject *dy = gm_arg_array(dy_obj, fn, "grad_out", F32, 2, 4);
    PyArrayObject *x = dy ? gm_arg_array(x_obj, fn, "x", F32, 2, 4) : NULL;
    PyArrayObject *out = x ? gm_arg_array(out_obj, fn, "out", F32, 2, 4) : NULL;
    if (!out || gm_arg_same_shape(x, dy, fn, "x") || gm_arg_same_shape(out, dy, fn, "out") ||
        gm_arg_writeable(out, fn, "out") || gm_arg_no_overlap(out, x, fn, "out", "x") ||
        gm_arg_no_overlap(out, dy, fn, "out", "grad_out"))
        return NULL;
    npy_intp c = PyArray_DIM(x, 1);
    float *gamma, *smean, *sinv, *dgamma, *dbeta;
    if (!(gamma = channel_vector(g_obj, c, fn, "gamma", 0)) ||
        !(smean = channel_vector(sm_obj, c, fn, "save_mean", 0)) ||
        !(sinv = channel_vector(si_obj, c, fn, "save_invstd", 0)) ||
        !(dgamma = channel_vector(dg_obj, c, fn, "grad_gamma", 1)) ||
        !(dbeta = channel_vector(db_obj, c, fn, "grad_beta", 1)))
        return NULL;
    size_t n = (size_t)PyArray_DIM(x, 0), inner = gm_dims_product(x, 2);
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_batchnorm_backward(PyArray_DATA(out), dgamma, dbeta, PyArray_DATA(dy),
                              PyArray_DATA(x), gamma, smean, sinv, n, (size_t)c,
                              inner, training);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

PyMethodDef gm_norm_methods[] = {
    {"batchnorm_forward", py_batchnorm_forward, METH_VARARGS,
     "batchnorm_forward(x, gamma, beta, running_mean, running_var, out, "
     "save_mean, save_invstd, training, momentum, eps)"},
    {"batchnorm_backward", py_batchnorm_backward, METH_VARARGS,
     "batchnorm_backward(grad_out, x, gamma, save_mean, save_invstd, out, "
     "grad_gamma, grad_beta, training)"},
    {NULL, NULL, 0, NULL},
};
