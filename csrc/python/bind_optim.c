/* bind_optim.c - fused optimiser updates, in place:
 *   sgd_step(param, grad, velocity_or_None, lr, momentum, dampening,
 *            weight_decay, nesterov, first_step)
 *   adam_step(param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay,
 *             decoupled)
 * Scalars are checked here, so messages name the argument. */
#include "bind_util.h"

#include <math.h>

#define F32 NPY_FLOAT32

/* A float32 array shaped like param; state arrays must be writeable. */
static PyArrayObject *like_param(PyObject *obj, PyArrayObject *param,
                                 const char *fn, const char *name, int state)
{
    PyArrayObject *a = gm_arg_array(obj, fn, name, F32, 0, NPY_MAXDIMS);
    if (!a || gm_arg_same_shape(a, param, fn, name) ||
        (state && gm_arg_writeable(a, fn, name)))
        return NULL;
    return a;
}

/* No two of the n arrays may share memory. */
static int all_disjoint(PyArrayObject **arrays, const char **names, int n,
                        const char *fn)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (arrays[i] && arrays[j] &&
                gm_arg_no_overlap(arrays[j], arrays[i], fn, names[j], names[i]))
                return -1;
    return 0;
}

/* ValueError "fn: 'name' must be <expected>, got <repr(value)>". */
static int bad_scalar(const char *fn, const char *name, const char *expected,
                      double value)
{
    char *text = PyOS_double_to_string(value, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    PyErr_Format(PyExc_ValueError, "%s: '%s' must be %s, got %s", fn, name,
                 expected, text ? text : "?");
    PyMem_Free(text);
    return -1;
}

static int nonnegative(double value, const char *fn, const char *name)
{
    return isfinite(value) && value >= 0.0 ? 0 : bad_scalar(fn, name, "finite and >= 0", value);
}

static int beta_range(double value, const char *fn, const char *name)
{
    return value >= 0.0 && value < 1.0 ? 0 : bad_scalar(fn, name, "in [0, 1)", value);
}

static PyObject *py_sgd_step(PyObject *self, PyObject *args)
{
    const char *fn = "sgd_step";
    PyObject *p_obj, *g_obj, *v_obj;
    double lr, momentum, dampening, wd;
    int nesterov, first;
    if (!PyArg_ParseTuple(args, "OOOddddpp", &p_obj, &g_obj, &v_obj, &lr,
                          &momentum, &dampening, &wd, &nesterov, &first))
        return NULL;
    if (nonnegative(lr, fn, "lr") || nonnegative(momentum, fn, "momentum") ||
        nonnegative(wd, fn, "weight_decay") ||
        (!isfinite(dampening) && bad_scalar(fn, "dampening", "finite", dampening)))
        return NULL;
    if (nesterov && momentum <= 0.0)
        return bad_scalar(fn, "momentum", "> 0 with nesterov=True", momentum), NULL;
    if (nesterov && dampening != 0.0)
        return bad_scalar(fn, "dampening", "0 with nesterov=True", dampening), NULL;
    PyArrayObject *param = gm_arg_array(p_obj, fn, "param", F32, 0, NPY_MAXDIMS);
    if (!param || gm_arg_writeable(param, fn, "param"))
        return NULL;
    PyArrayObject *grad = like_param(g_obj, param, fn, "grad", 0), *velocity = NULL;
    if (!grad)
        return NULL;
    if (v_obj != Py_None && !(velocity = like_param(v_obj, param, fn, "velocity", 1)))
        return NULL;
    if (momentum != 0.0 && !velocity) {
        PyErr_Format(PyExc_ValueError, "%s: 'velocity' is needed when momentum != 0", fn);
        return NULL;
    }
    PyArrayObject *arrays[] = {param, grad, velocity};
    const char *names[] = {"param", "grad", "velocity"};
    if (all_disjoint(arrays, names, 3, fn))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_sgd_step(PyArray_DATA(param), PyArray_DATA(grad),
                    velocity ? PyArray_DATA(velocity) : NULL,
                    (size_t)PyArray_SIZE(param), lr, momentum, dampening, wd,
                    nesterov, first);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

static PyObject *py_adam_step(PyObject *self, PyObject *args)
{
    PyObject *p_obj, *g_obj, *m_obj, *v_obj;
    long long step;
    double lr, b1, b2, eps, wd;
    int decoupled;
    if (!PyArg_ParseTuple(args, "OOOOLdddddp", &p_obj, &g_obj, &m_obj, &v_obj,
                          &step, &lr, &b1, &b2, &eps, &wd, &decoupled))
        return NULL;
    const char *fn = decoupled ? "adamw_step" : "adam_step";
    if (step < 1) {
        PyErr_Format(PyExc_ValueError,
                     "%s: 'step' must be >= 1 (1 for the first update), got %lld",
                     fn, step);
        return NULL;
    }
    if (nonnegative(lr, fn, "lr") || beta_range(b1, fn, "beta1") ||
        beta_range(b2, fn, "beta2") || nonnegative(wd, fn, "weight_decay") ||
        (!(isfinite(eps) && eps > 0.0) && bad_scalar(fn, "eps", "finite and > 0", eps)))
        return NULL;
    PyArrayObject *param = gm_arg_array(p_obj, fn, "param", F32, 0, NPY_MAXDIMS);
    if (!param || gm_arg_writeable(param, fn, "param"))
        return NULL;
    PyArrayObject *grad, *m, *v;
    if (!(grad = like_param(g_obj, param, fn, "grad", 0)) ||
        !(m = like_param(m_obj, param, fn, "m", 1)) ||
        !(v = like_param(v_obj, param, fn, "v", 1)))
        return NULL;
    PyArrayObject *arrays[] = {param, grad, m, v};
    const char *names[] = {"param", "grad", "m", "v"};
    if (all_disjoint(arrays, names, 4, fn))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_adam_step(PyArray_DATA(param), PyArray_DATA(grad), PyArray_DATA(m),
                     PyArray_DATA(v), (size_t)PyArray_SIZE(param), (int64_t)step,
                     lr, b1, b2, eps, wd, decoupled);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

PyMethodDef gm_optim_methods[] = {
    {"sgd_step", py_sgd_step, METH_VARARGS,
     "sgd_step(param, grad, velocity, lr, momentum, dampening, weight_decay, "
     "nesterov, first_step)\nOne SGD update of param (and velocity) in place."},
    {"adam_step", py_adam_step, METH_VARARGS,
     "adam_step(param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, "
     "decoupled)\nOne Adam (decoupled=False) or AdamW update in place."},
    {NULL, NULL, 0, NULL},
};
